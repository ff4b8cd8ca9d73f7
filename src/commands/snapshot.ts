import type { Command } from 'commander';
import { formatSnapshot } from '../metrics/format-snapshot.js';
import { loadSnapshot } from '../metrics/load-snapshot.js';
import type { LocalDate } from '../metrics/zoned-time.js';
import { withDatabase, type CommandContext } from './context.js';
import { defaultReport, localDate } from './options.js';

export function registerSnapshot(program: Command, ctx: CommandContext): void {
  program
    .command('snapshot')
    .description(
      'the metrics of one report period: KPIs and deltas, health score, operations, models, errors, data quality',
    )
    .option('--report <name>', 'report from the config (default: daily, else the first configured)')
    .option(
      '--date <YYYY-MM-DD>',
      "the report's day in its time zone (for week/month reports: a day inside the period); default: the last complete period",
      localDate,
    )
    .option('--json', 'print the snapshot as JSON')
    .action(async (opts: { report?: string; date?: LocalDate; json?: boolean }) => {
      await withDatabase(ctx, async (db, { config }) => {
        const report = opts.report ?? defaultReport(config);
        const snapshot = await loadSnapshot(db.sql, config, {
          report,
          ...(opts.date ? { date: opts.date } : {}),
          now: ctx.now(),
        });
        ctx.io.out(
          opts.json
            ? JSON.stringify(snapshot, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v), 2)
            : formatSnapshot(snapshot),
        );
      });
    });
}
