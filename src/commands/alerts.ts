import { resolve } from 'node:path';
import type { Command } from 'commander';
import { rulesToPreview } from '../alerts/preview.js';
import { evaluateAlerts, type AlertSummary, type AlertsPassResult } from '../alerts/run-alerts.js';
import { slackAppTokenFromEnv } from '../config/env.js';
import { transportsFromEnv } from '../delivery/transports.js';
import { PulsebotError } from '../errors.js';
import { formatCount } from '../messages/format.js';
import { loadCommandConfig, withDatabase, type CommandContext } from './context.js';

interface AlertsOptions {
  once?: boolean;
  dryRun?: boolean;
  preview?: boolean;
  rule?: string;
  out?: string;
}

/**
 * `pulsebot alerts [--once] [--dry-run]`: one evaluation pass, as the daemon runs it on
 * alerts.evaluate_schedule, printing every alert's state and value. --dry-run evaluates the same
 * way but stores and sends nothing. `--preview --out DIR` writes each rule's firing and resolved
 * messages instead (src/alerts/preview.ts).
 */
export function registerAlerts(program: Command, ctx: CommandContext): void {
  program
    .command('alerts')
    .description(
      "evaluate the alert rules once: print each rule × scope's state and value, store the states and deliver the transitions",
    )
    .option('--once', 'one evaluation pass (the default; `pulsebot run` evaluates on alerts.evaluate_schedule)')
    .option('--dry-run', 'evaluate and print what would be notified; store nothing, send nothing')
    .option(
      '--preview',
      "write each enabled rule's firing and resolved messages (Slack JSON, email) to --out; store nothing, send nothing",
    )
    .option('--rule <name>', 'with --preview: only this rule')
    .option('--out <dir>', 'with --preview: where the files and index.html go')
    .action(async (opts: AlertsOptions) => {
      if (opts.preview || opts.out !== undefined || opts.rule !== undefined) {
        await preview(ctx, opts);
        return;
      }
      await withDatabase(ctx, async (db, { config }) => {
        const transports = transportsFromEnv(ctx.env, config);
        try {
          const result = await evaluateAlerts(
            {
              sql: db.sql,
              config,
              transports,
              now: ctx.now,
              inlineRetryMs: config.delivery.inline_retry_seconds * 1000,
              // A running daemon answers the buttons; this command only puts them on the message.
              slackButtons: slackAppTokenFromEnv(ctx.env) !== null,
              log: (event) => {
                if (event.level === 'error' || event.level === 'warn')
                  ctx.io.err(
                    `${String(event.level)}: ${printable(String(event.message ?? event.event ?? JSON.stringify(event)))}`,
                  );
              },
            },
            { dryRun: opts.dryRun === true },
          );
          print(ctx, result, opts.dryRun === true, transports.describe);
          if (result.failedRules.length > 0) ctx.setExitCode(1);
        } finally {
          await transports.close();
        }
      });
    });
}

async function preview(ctx: CommandContext, opts: AlertsOptions): Promise<void> {
  const usage = (message: string) =>
    new PulsebotError('USAGE', message, { hint: 'pulsebot alerts --preview [--rule NAME] --out DIR' });
  if (!opts.preview) throw usage(`${opts.out !== undefined ? '--out' : '--rule'} goes with --preview`);
  if (opts.out === undefined) throw usage('--preview needs --out DIR');
  if (opts.dryRun || opts.once) throw usage('--preview evaluates nothing: leave out --dry-run and --once');
  // An unknown rule is a usage error before any database is opened.
  rulesToPreview(loadCommandConfig(ctx).config, opts.rule);
  await withDatabase(ctx, async (db, { config }) => {
    const { buildAlertPreviews } = await import('../alerts/preview.js');
    const { writeAlertPreview } = await import('../alerts/write-preview.js');
    const now = ctx.now();
    const slackButtons = slackAppTokenFromEnv(ctx.env) !== null;
    const previews = await buildAlertPreviews({ sql: db.sql, config, now, slackButtons }, opts.rule);
    const written = writeAlertPreview(resolve(opts.out!), previews, { now, timeZone: config.alerts.timezone });
    const width = Math.max(0, ...previews.map((p) => p.rule.name.length));
    for (const p of previews) {
      ctx.io.out(`${p.rule.name.padEnd(width)}  ${printable(p.basis)}`);
      for (const note of p.notes) ctx.io.out(`${' '.repeat(width)}  note: ${printable(note)}`);
    }
    ctx.io.out(
      `${previews.length} rule${previews.length === 1 ? '' : 's'} previewed, firing and resolved (nothing stored, nothing sent): ${written.files.length} files in ${written.dir}`,
    );
    ctx.io.out(`  open ${written.index}`);
  });
}

/** Data (model and provider names) may hold control characters: a terminal must not act on them. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, '?');
}

const STATUS_LABEL: Record<AlertSummary['status'], string> = {
  ok: 'ok',
  pending: 'PENDING',
  firing: 'FIRING',
  resolved: 'resolved',
};

function line(a: AlertSummary, dryRun: boolean): string[] {
  const judged =
    a.evaluation === 'low_volume' ? ' (below the volume floor)' : a.evaluation === 'no_data' ? ' (no data)' : '';
  const volume = a.requests > 0 ? `, ${formatCount(a.requests)} request${a.requests === 1 ? '' : 's'}` : '';
  const told = a.notified
    ? `  → ${dryRun ? 'would notify' : 'notified'}: ${a.notified}`
    : a.suppressedBy
      ? `  (held back by ${a.suppressedBy})`
      : '';
  return [
    a.rule,
    printable(a.scope),
    STATUS_LABEL[a.status],
    `${a.valueText} vs ${a.thresholdText}${volume}${judged}${told}`,
  ];
}

function print(ctx: CommandContext, r: AlertsPassResult, dryRun: boolean, via: { slack: string; email: string }): void {
  if (r.skipped) {
    ctx.io.out('another evaluation pass is running (a replica holds the lock): nothing evaluated');
    return;
  }
  const rows = r.alerts.map((a) => line(a, dryRun));
  const width = (i: number) => Math.max(0, ...rows.map((row) => row[i]!.length));
  const [w0, w1, w2] = [width(0), width(1), width(2)];
  for (const row of rows)
    ctx.io.out(`${row[0]!.padEnd(w0)}  ${row[1]!.padEnd(w1)}  ${row[2]!.padEnd(w2)}  ${row[3]}`.trimEnd());
  for (const rule of r.failedRules)
    ctx.io.err(`✗ rule ${rule} could not be evaluated (see the error above); its alerts keep their state`);

  const count = (status: AlertSummary['status']) => r.alerts.filter((a) => a.status === status).length;
  const summary = `${r.evaluated} alert${r.evaluated === 1 ? '' : 's'} evaluated: ${count('firing')} firing, ${count('pending')} pending`;
  if (dryRun) {
    ctx.io.out(
      `${summary}; ${r.notifications} notification${r.notifications === 1 ? '' : 's'} would be sent (dry run: nothing stored, nothing sent)`,
    );
    return;
  }
  const queued = `${r.queued.inserted} message${r.queued.inserted === 1 ? '' : 's'} queued${r.queued.existing ? ` (${r.queued.existing} queued before)` : ''}`;
  const delivered = r.delivered
    ? `; delivered ${r.delivered.sent}, retrying ${r.delivered.retried}, given up ${r.delivered.dead}`
    : '';
  ctx.io.out(`${summary}; ${r.notifications} notification${r.notifications === 1 ? '' : 's'}, ${queued}${delivered}`);
  if (r.notifications > 0) ctx.io.out(`  slack via ${via.slack}; email via ${via.email}`);
}
