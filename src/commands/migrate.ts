import type { Command } from 'commander';
import { migrate } from '../db/migrate.js';
import { syncSettings } from '../db/settings.js';
import { withDatabase, type CommandContext } from './context.js';

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run again; adopts an existing api_usage)')
    .action(async () => {
      await withDatabase(ctx, async (db, { config }) => {
        const report = await migrate(db.sql);
        await syncSettings(db.sql, { dashboardTimezone: config.dashboard.timezone });
        for (const m of report.applied) ctx.io.out(`applied ${String(m.id).padStart(6, '0')}_${m.name}`);
        for (const m of report.changed) {
          ctx.io.err(`warning: migration ${String(m.id).padStart(6, '0')}_${m.name} changed after it was applied; the change was not run`);
        }
        ctx.io.out(report.applied.length === 0
          ? `${db.description}: already up to date (${report.alreadyApplied} migrations)`
          : `${db.description}: ${report.applied.length} migration(s) applied, up to date`);
      });
    });
}
