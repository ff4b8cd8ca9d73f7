import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { PulsebotError } from '../errors.js';
import type { LocalDate } from '../metrics/zoned-time.js';
import type { ComposedDigest } from '../report/compose-digest.js';
import { withDatabase, type CommandContext } from './context.js';
import { deliveryLogTo } from './delivery-log.js';
import { defaultReport, localDate } from './options.js';

export interface DigestOptions {
  report?: string;
  date?: LocalDate;
  dryRun?: boolean;
  out?: string;
  resend?: boolean;
}

export function registerDigest(program: Command, ctx: CommandContext): void {
  program
    .command('digest')
    .description('build one report for its last complete period and send it (Slack, email; files without credentials)')
    .option('--report <name>', 'report from the config (default: daily, else the first configured)')
    .option(
      '--date <YYYY-MM-DD>',
      "the report's day in its time zone (week/month: a day inside the period); default: the last complete period",
      localDate,
    )
    .option('--dry-run', 'build everything and print what would be sent; send and store nothing')
    .option('--resend', 'try the messages of this period that were given up once more (see `pulsebot doctor`)')
    .option(
      '--out <dir>',
      'write a preview (index.html, email, Slack blocks, charts, snapshot.json) to <dir> instead of sending',
    )
    .action(async (opts: DigestOptions) => {
      await withDatabase(ctx, async (db, { config }) => {
        const name = opts.report ?? defaultReport(config);
        if (!config.reports[name]) {
          throw new PulsebotError('USAGE', `no report named "${name}"`, {
            hint: `configured reports: ${Object.keys(config.reports).join(', ')}`,
          });
        }
        if (!opts.out && !opts.dryRun) {
          if (await send(db.sql, ctx, config, name, opts.date, opts.resend ?? false)) ctx.setExitCode(1);
          return;
        }
        // Charts, MJML and the Slack client load only when a digest is built: the daemon and the
        // other commands start without them.
        const { buildDigestModel } = await import('../report/build-digest.js');
        const { composeDigest } = await import('../report/compose-digest.js');
        const { writePreview } = await import('../report/write-preview.js');
        const now = ctx.now();
        const model = await buildDigestModel(db.sql, config, {
          report: name,
          ...(opts.date ? { date: opts.date } : {}),
          now,
        });
        const composed = await composeDigest(model, { name, report: config.reports[name]!, email: config.email });
        for (const f of model.failedCharts) ctx.io.err(`warning: chart ${f.id} left out: ${f.error}`);
        if (opts.out) {
          const preview = await writePreview(resolve(opts.out), model, composed);
          ctx.io.out(`${composed.title} · ${model.snapshot.period.label}: preview written to ${preview.dir}`);
          ctx.io.out(`  open ${preview.index}`);
          return;
        }
        printPlan(ctx, composed, model.snapshot.period.label);
      });
    });
}

function printPlan(ctx: CommandContext, composed: ComposedDigest, period: string): void {
  ctx.io.out(`${composed.title} · ${period} (dry run: nothing sent, nothing stored)`);
  if (composed.messages.length === 0) ctx.io.out('  no routes configured: the report goes nowhere');
  for (const m of composed.messages) {
    if (m.channel === 'slack') {
      ctx.io.out(
        `  slack ${m.payload.channel}: ${m.payload.blocks.length} blocks, ${m.payload.files.length} files · ${m.payload.text}`,
      );
    } else {
      const bytes = m.payload.html.length + m.payload.attachments.reduce((n, a) => n + a.content.length, 0);
      ctx.io.out(
        `  email ${m.payload.to}: "${m.payload.subject}" · ${m.payload.attachments.length} inline images, ${Math.round(bytes / 1024)} KB`,
      );
    }
  }
}

/**
 * Queue every message (a period already queued is not queued again), deliver (retrying a passing
 * failure within the command for delivery.inline_retry_seconds), and say where each stands.
 */
async function send(
  sql: Sql,
  ctx: CommandContext,
  config: PulsebotConfig,
  name: string,
  date: LocalDate | undefined,
  resend: boolean,
): Promise<boolean> {
  const { transportsFromEnv } = await import('../delivery/transports.js');
  const { sendReport } = await import('../report/send-report.js');
  const { outboxStatus } = await import('../delivery/outbox-status.js');
  const { statusLine } = await import('../delivery/status-lines.js');
  const transports = transportsFromEnv(ctx.env, config);
  try {
    const { composed, queued } = await sendReport(
      {
        sql,
        config,
        transports,
        now: ctx.now,
        log: deliveryLogTo(ctx),
        inlineRetryMs: config.delivery.inline_retry_seconds * 1000,
      },
      { report: name, ...(date ? { date } : {}), resendDead: resend },
    );
    ctx.io.out(
      `${composed.title}: ${queued.inserted} message${queued.inserted === 1 ? '' : 's'} queued${queued.existing ? `, ${queued.existing} already queued earlier (not sent again)` : ''}${queued.requeued ? `, ${queued.requeued} given up earlier and resent` : ''}`,
    );
    ctx.io.out(`  slack via ${transports.describe.slack}; email via ${transports.describe.email}`);
    const rows = await outboxStatus(
      sql,
      composed.messages.map((m) => m.key),
    );
    const now = ctx.now();
    let failed = false;
    for (const r of rows) {
      const status = statusLine(r, { now, routes: config.delivery.failure_routes });
      if (!status.delivered) failed = true;
      ctx.io.out(`  ${status.line}`);
    }
    return failed;
  } finally {
    await transports.close();
  }
}
