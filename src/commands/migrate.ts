import type { Command } from 'commander';
import { PulsebotError } from '../errors.js';
import type { RuntimeRoleOutcome } from '../db/access.js';
import { migrate } from '../db/migrate.js';
import { refreshViews } from '../db/refresh.js';
import { rollupsNeedRebuild } from '../db/rollups.js';
import { setDashboardTimezone } from '../db/settings.js';
import { partialVisibility } from '../db/visibility.js';
import { formatCount, formatMs } from '../messages/format.js';
import { warningsTo, withDatabase, type CommandContext, type Io } from './context.js';

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description(
      'apply pending database migrations, grants and the dashboard time zone (safe to run again; adopts an existing api_usage)',
    )
    .action(async () => {
      await withDatabase(
        ctx,
        async (db, { config }) => {
          const report = await migrate(db.sql, undefined, {
            runtimeRole: config.database.runtime_role,
            readers: config.dashboard.readers,
          });
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
          reportRuntimeRole(ctx.io, report.runtimeRole);
          const readers = config.dashboard.readers;
          ctx.io.out(
            readers.length > 0
              ? `dashboard views readable by ${readers.join(', ')} (and the owner); no one else`
              : 'dashboard views readable by the owner only (dashboard.readers is empty)',
          );

          const previous = await setDashboardTimezone(db.sql, config.dashboard.timezone);
          if (previous !== null && report.alreadyApplied > 0) {
            const [rows] = await db.sql<{ n: number }[]>`select count(*)::bigint as n from public.api_usage`;
            ctx.io.out(
              `dashboard time zone: ${previous} → ${config.dashboard.timezone}; the rollups are rebuilt from api_usage (${formatCount(rows?.n ?? 0)} rows)`,
            );
          }
          for (const p of await partialVisibility(db.sql)) ctx.io.err(`warning: ${p.reason}; ${p.fix}`);

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
              `rollups built from ${formatCount(results.find((r) => r.view === 'rollups')?.rows ?? 0)} rows and views refreshed in ${formatMs(Date.now() - started)}`,
            );
          }
        },
        { timezone: 'set by the command' },
      );
    });
}

function reportRuntimeRole(io: Io, outcome: RuntimeRoleOutcome): void {
  switch (outcome.state) {
    case 'none':
      io.out('runtime role: none (database.runtime_role is null); every command needs the owner');
      return;
    case 'created':
      io.out(
        `created the role ${outcome.role} (NOLOGIN) with exactly the rights refresh, snapshot, digest, alerts, silence, run and doctor need; ` +
          `grant it to the login role pulsebot runs as: GRANT ${outcome.role} TO <login role>;`,
      );
      return;
    case 'kept':
      io.out(`runtime role ${outcome.role}: rights up to date`);
      return;
    case 'cannot-create':
      io.err(
        `warning: this role may not create roles, so ${outcome.role} does not exist yet. A role administrator runs:\n` +
          `  ${outcome.sql}\nthen run \`pulsebot migrate\` again to give it its rights.`,
      );
      return;
  }
}
