import { join } from 'node:path';
import type { Command } from 'commander';
import { enabledRules } from '../alerts/rules.js';
import { databaseTargetFromEnv, outboxDirFromEnv } from '../config/env.js';
import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { refreshViews } from '../db/refresh.js';
import { setDashboardTimezone } from '../db/settings.js';
import { seedDemo } from '../demo/seed.js';
import { runChecks } from '../doctor/checks.js';
import { formatChecks } from '../doctor/format.js';
import { formatCount, formatNumber, formatUsd, latencyFormat } from '../messages/format.js';
import { loadCommandConfig, openFromConfig, warningsTo, type CommandContext } from './context.js';
import { positiveInt } from './seed-demo.js';
import { defaultReport } from './options.js';

/**
 * The first thing a new user runs: always the embedded database (never a DATABASE_URL, which
 * could be production), demo data up to now, a refresh, and doctor's verdict.
 */
export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description(
      'embedded database + 30 days of demo data + refresh + a digest preview in ./outbox (needs no credentials)',
    )
    .option('--days <n>', 'days of demo data', positiveInt('--days', 90), 30)
    .option('--rows-per-day <n>', 'average API calls per day', positiveInt('--rows-per-day', 200_000), 2000)
    .action(async (opts: { days: number; rowsPerDay: number }) => {
      const embeddedEnv = { ...ctx.env, DATABASE_URL: '' };
      if (ctx.env.DATABASE_URL) ctx.io.out('note: the demo ignores DATABASE_URL and uses the embedded database');
      const loaded = loadCommandConfig(ctx);
      const target = databaseTargetFromEnv(embeddedEnv);
      const db = await openFromConfig({ ...ctx, env: embeddedEnv }, loaded);
      try {
        ctx.io.out(`database: ${db.description}`);
        const migrated = await migrate(db.sql, undefined, {
          runtimeRole: loaded.config.database.runtime_role,
          readers: loaded.config.dashboard.readers,
        });
        // The demo's own database: it follows the config, like a setup run of `migrate`.
        await setDashboardTimezone(db.sql, loaded.config.dashboard.timezone);
        ctx.io.out(
          `migrations: ${migrated.applied.length} applied, ${migrated.alreadyApplied} already there` +
            (migrated.convertedLegacyChain ? ' (the data folder of an earlier build, converted)' : ''),
        );
        const now = ctx.now();
        const seeded = await seedDemo(db.sql, {
          now,
          days: opts.days,
          rowsPerDay: opts.rowsPerDay,
          seed: 'pulsebot-demo',
          append: false,
        });
        ctx.io.out(`demo data: ${seeded.rows} API calls over ${opts.days} days, ${seeded.users} users`);
        for (const i of seeded.incidents)
          ctx.io.out(`  incident: ${i.description}, ${i.start.toISOString().slice(0, 16)}Z`);
        const refreshed = await refreshViews(db.sql, {
          dashboardTimezone: loaded.config.dashboard.timezone,
          statementTimeoutSeconds: loaded.config.refresh.statement_timeout_seconds,
          log: warningsTo(ctx.io),
        });
        ctx.io.out(
          `refresh: ${refreshed.map((r) => `${r.view} ${r.outcome === 'ok' ? `${r.rows} ${r.view === 'rollups' ? 'changes folded' : 'rows'}` : `FAILED (${r.error})`}`).join(', ')}`,
        );
        await printPreview(db.sql, ctx);
        const { buildDigestModel } = await import('../report/build-digest.js');
        const { composeDigest } = await import('../report/compose-digest.js');
        const { writePreview } = await import('../report/write-preview.js');
        const report = defaultReport(loaded.config);
        const model = await buildDigestModel(db.sql, loaded.config, { report, now: ctx.now() });
        const composed = await composeDigest(model, {
          name: report,
          report: loaded.config.reports[report]!,
          email: loaded.config.email,
        });
        const outbox = outboxDirFromEnv(ctx.env);
        const alert = await exampleAlert(db.sql, loaded.config, ctx.now(), join(outbox, 'alerts'));
        const preview = await writePreview(outbox, model, composed, alert ? { extraSection: alert.section } : {});
        ctx.io.out('');
        ctx.io.out(
          `digest preview (${composed.title}, ${model.snapshot.period.label}; nothing was sent): ${model.charts.length} charts, ${composed.slack.length} Slack message${composed.slack.length === 1 ? '' : 's'}, ${composed.email ? 'an email' : 'no email'}`,
        );
        for (const f of model.failedCharts) ctx.io.out(`  chart ${f.id} failed: ${f.error}`);
        if (alert) ctx.io.out(`  with an example alert: ${alert.rule} (${alert.basis})`);
        ctx.io.out(`  open ${preview.index}`);
        const checks = await runChecks({ sql: db.sql, config: loaded.config, now: ctx.now() });
        ctx.io.out('');
        ctx.io.out(formatChecks(checks));
        ctx.io.out('');
        ctx.io.out(`Look at the digest: open ${preview.index} (email, Slack message and charts side by side).`);
        ctx.io.out(`The embedded database lives in ${target.kind === 'embedded' ? target.dataDir : '(memory)'}. Next:`);
        ctx.io.out('  npx pulsebot digest --dry-run   # what the daily digest would send, and where');
        ctx.io.out("  npx pulsebot alerts --preview --out outbox/alerts   # every alert rule's messages");
        ctx.io.out("  npx pulsebot snapshot      # yesterday's KPIs, health score, models, users, finance");
        ctx.io.out('  npx pulsebot doctor        # health of schema, views and data');
        ctx.io.out('  npx pulsebot refresh       # refresh the views again');
        ctx.io.out('  DATABASE_URL=postgres://… npx pulsebot migrate   # the same on your PostgreSQL');
        if (checks.some((c) => c.status === 'fail') || refreshed.some((r) => r.outcome === 'failed'))
          ctx.setExitCode(1);
      } finally {
        await db.close();
      }
    });
}

/**
 * One alert for the preview page, so the demo shows what on-call receives: the success-rate
 * rule's firing message (the first enabled rule's when that one is off), its files in `dir`.
 */
async function exampleAlert(sql: Sql, config: PulsebotConfig, now: Date, dir: string) {
  const rule = config.alerts.rules.success_rate?.enabled ? 'success_rate' : enabledRules(config.alerts.rules)[0]?.name;
  if (rule === undefined) return null;
  const { buildAlertPreviews } = await import('../alerts/preview.js');
  const { writeAlertPreview } = await import('../alerts/write-preview.js');
  const { exampleAlertSection } = await import('../alerts/preview-page.js');
  const previews = await buildAlertPreviews({ sql, config, now }, rule);
  const written = writeAlertPreview(dir, previews, { now, timeZone: config.alerts.timezone });
  const first = written.written[0]!;
  return { rule, basis: first.preview.basis, section: exampleAlertSection(first, 'alerts/') };
}

/** What the dashboard would show: the last seven days of mv_daily_metrics. */
async function printPreview(sql: Sql, ctx: CommandContext): Promise<void> {
  const rows = await sql<
    {
      date: Date;
      total_requests: number;
      success_rate: number | null;
      total_cost_usd: number;
      active_users: number;
      p95_latency_ms: number | null;
    }[]
  >`
    select date, total_requests, success_rate, total_cost_usd, active_users, p95_latency_ms
    from public.mv_daily_metrics order by date desc limit 7`;
  ctx.io.out('');
  ctx.io.out('mv_daily_metrics, last 7 days (today is partial):');
  ctx.io.out(
    `  ${'date'.padEnd(10)}  ${'requests'.padStart(8)}  ${'success'.padStart(7)}  ${'cost'.padStart(9)}  ${'users'.padStart(6)}  ${'p95'.padStart(9)}`,
  );
  // One unit for the whole p95 column. The view's success_rate is a percentage already.
  const p95 = latencyFormat(rows.map((r) => r.p95_latency_ms));
  for (const r of rows.reverse()) {
    ctx.io.out(
      `  ${r.date.toISOString().slice(0, 10)}  ${formatCount(r.total_requests).padStart(8)}  ${(r.success_rate === null ? '–' : `${formatNumber(r.success_rate, 1)}%`).padStart(7)}  ${formatUsd(r.total_cost_usd).padStart(9)}  ${formatCount(r.active_users).padStart(6)}  ${p95(r.p95_latency_ms).padStart(9)}`,
    );
  }
}
