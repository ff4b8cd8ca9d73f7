import type { Command } from 'commander';
import type { CheckResult } from '../doctor/check-result.js';
import { runChecks } from '../doctor/checks.js';
import { deliveryChecks } from '../doctor/delivery-checks.js';
import { formatChecks } from '../doctor/format.js';
import { securityChecks } from '../doctor/security-checks.js';
import type { Database } from '../db/connect.js';
import { PulsebotError, messageOf } from '../errors.js';
import { loadCommandConfig, openFromConfig, type CommandContext } from './context.js';

export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('check the database, schema, views and data freshness; print how to fix what is wrong')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const loaded = loadCommandConfig(ctx);
      const results: CheckResult[] = [
        {
          name: 'config',
          status: 'ok',
          detail: loaded.source ? `read ${loaded.source}` : 'no config file, built-in defaults',
        },
      ];
      let db: Database | undefined;
      try {
        db = await openFromConfig(ctx, loaded);
        const [v] = await db.sql<{ version: string }[]>`select current_setting('server_version') as version`;
        results.push({ name: 'connection', status: 'ok', detail: `${db.description} (server ${v?.version})` });
        results.push(...(await runChecks({ sql: db.sql, config: loaded.config, now: ctx.now(), env: ctx.env })));
        results.push(...(await securityChecks(db.sql, loaded.config)));
        const { transportsFromEnv } = await import('../delivery/transports.js');
        const transports = transportsFromEnv(ctx.env, loaded.config);
        try {
          results.push(
            ...(await deliveryChecks({ sql: db.sql, config: loaded.config, env: ctx.env, now: ctx.now(), transports })),
          );
        } finally {
          await transports.close();
        }
      } catch (error) {
        const hint = error instanceof PulsebotError ? error.hint : undefined;
        results.push({ name: 'connection', status: 'fail', detail: messageOf(error), ...(hint ? { fix: hint } : {}) });
      } finally {
        await db?.close();
      }
      ctx.io.out(
        opts.json
          ? JSON.stringify({ ok: results.every((r) => r.status !== 'fail'), checks: results }, null, 2)
          : formatChecks(results),
      );
      if (results.some((r) => r.status === 'fail')) ctx.setExitCode(1);
    });
}
