import type { Command } from 'commander';
import { PulsebotError } from '../errors.js';
import { migrate } from '../db/migrate.js';
import { refreshViews } from '../db/refresh.js';
import { rollupsNeedRebuild } from '../db/rollups.js';
import { syncSettings } from '../db/settings.js';
import { warningsTo, withDatabase, type CommandContext } from './context.js';

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run again; adopts an existing api_usage)')
    .action(async () => {
      await withDatabase(ctx, async (db, { config }) => {
        const report = await migrate(db.sql);
        await syncSettings(db.sql, { dashboardTimezone: config.dashboard.timezone });
        if (report.convertedLegacyChain)
          ctx.io.out('converted the schema of an earlier development build to the baseline');
        for (const m of report.applied) ctx.io.out(`applied ${m.file}`);
        if (report.definitions.length > 0) {
          // A fresh install applies all of them: name them only when a few changed.
          const names = report.definitions.length <= 8 ? `: ${report.definitions.map((d) => d.name).join(', ')}` : '';
          ctx.io.out(
            `created or replaced ${report.definitions.length} function, view and trigger definition(s)${names}`,
          );
        }
        ctx.io.out(
          report.applied.length === 0 && report.definitions.length === 0
            ? `${db.description}: already up to date (${report.alreadyApplied} migrations)`
            : `${db.description}: ${report.applied.length} migration(s) applied, up to date`,
        );
        // Installing the rollups leaves them empty; build them now (outside the migration's
        // transaction, so the application's inserts are never blocked while it runs).
        if (await rollupsNeedRebuild(db.sql)) {
          ctx.io.out('building the rollups from api_usage (once; this reads the whole table)…');
          const started = Date.now();
          const results = await refreshViews(db.sql, {
            dashboardTimezone: config.dashboard.timezone,
            statementTimeoutSeconds: 0,
            log: warningsTo(ctx.io),
          });
          const failed = results.filter((r) => r.outcome === 'failed');
          if (failed.length) {
            throw new PulsebotError(
              'REFRESH_FAILED',
              `building the rollups failed: ${failed.map((r) => `${r.view}: ${r.error}`).join('; ')}`,
            );
          }
          ctx.io.out(
            `rollups built from ${results.find((r) => r.view === 'rollups')?.rows ?? 0} rows and views refreshed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        }
      });
    });
}
