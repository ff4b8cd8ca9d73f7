import type { Command } from 'commander';
import { refreshViews } from '../db/refresh.js';
import { PulsebotError } from '../errors.js';
import { formatCount, formatMs } from '../messages/format.js';
import { warningsTo, withDatabase, type CommandContext } from './context.js';

export function registerRefresh(program: Command, ctx: CommandContext): void {
  program
    .command('refresh')
    .description('refresh the dashboard views now and record the outcome in pulsebot.refresh_log')
    .action(async () => {
      await withDatabase(ctx, async (db, { config }) => {
        const results = await refreshViews(db.sql, {
          dashboardTimezone: config.dashboard.timezone,
          statementTimeoutSeconds: config.refresh.statement_timeout_seconds,
          log: warningsTo(ctx.io),
        });
        for (const r of results) {
          const took = formatMs(r.finishedAt.getTime() - r.startedAt.getTime());
          ctx.io.out(
            r.outcome === 'ok'
              ? `✓ ${r.view.padEnd(24)} ${formatCount(r.rows).padStart(8)} ${r.view === 'rollups' ? 'changes folded' : 'rows'.padEnd(14)}  ${took}`
              : `✗ ${r.view.padEnd(24)} failed after ${took}: ${r.error}`,
          );
        }
        const failed = results.filter((r) => r.outcome === 'failed');
        if (failed.length > 0) {
          throw new PulsebotError(
            'REFRESH_FAILED',
            `${failed.length} of ${results.length} views failed to refresh (recorded in pulsebot.refresh_log)`,
          );
        }
      });
    });
}
