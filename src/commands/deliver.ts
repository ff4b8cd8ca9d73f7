import type { Command } from 'commander';
import type { OutboxStatus } from '../delivery/outbox-status.js';
import { withDatabase, type CommandContext } from './context.js';
import { deliveryLogTo } from './delivery-log.js';

/**
 * `pulsebot deliver`: one delivery pass, as the daemon runs every few seconds, for setups that
 * run pulsebot from cron without `pulsebot run`: every message that is due (first tries, retries,
 * sends a crashed process left) is tried once, with the same inline retries as `digest`, and the
 * command says where each stands. Exit 1 while anything is still undelivered.
 */
export function registerDeliver(program: Command, ctx: CommandContext): void {
  program
    .command('deliver')
    .description(
      'deliver every queued message that is due (retries included) once and exit: for cron setups without `pulsebot run`',
    )
    .option(
      '--resend <key>',
      'first queue this given-up message (a key `pulsebot doctor` lists; a failure notice too) once more; repeatable',
      (value: string, keys: string[]) => [...keys, value],
      [] as string[],
    )
    .action(async (opts: { resend: string[] }) => {
      await withDatabase(ctx, async (db, { config }) => {
        const { transportsFromEnv } = await import('../delivery/transports.js');
        const { deliverDue } = await import('../delivery/dispatch.js');
        const { deliverConfigOf } = await import('../delivery/deliver-config.js');
        const { outboxStatus, requeueDead, waitingMessages } = await import('../delivery/outbox-status.js');
        const { statusLine } = await import('../delivery/status-lines.js');

        let undelivered = false;
        for (const key of opts.resend) {
          const requeued = await requeueDead(db.sql, [key], ctx.now());
          if (requeued === 0) {
            undelivered = true;
            ctx.io.err(`✗ ${key}: no given-up message has this key (\`pulsebot doctor\` lists them)`);
          } else {
            ctx.io.out(
              `${key}: queued once more${requeued > 1 ? ` with ${requeued - 1} failure notice(s) about it` : ''}`,
            );
          }
        }

        const transports = transportsFromEnv(ctx.env, config);
        const tried: string[] = [];
        try {
          const result = await deliverDue({
            sql: db.sql,
            transports,
            files: transports.files,
            now: ctx.now,
            config: deliverConfigOf(config),
            log: deliveryLogTo(ctx),
            inlineRetryMs: config.delivery.inline_retry_seconds * 1000,
            onOutcome: (o) => tried.push(o.key),
          });
          const now = ctx.now();
          const line = (r: OutboxStatus) => {
            const status = statusLine(r, { now, routes: config.delivery.failure_routes });
            if (!status.delivered) undelivered = true;
            return `  ${status.line} [${r.key}]`;
          };

          const settled = await outboxStatus(db.sql, [...new Set(tried)]);
          const resumed = result.resumed > 0 ? ` (${result.resumed} resumed after a sender stopped mid-send)` : '';
          ctx.io.out(
            settled.length === 0
              ? 'nothing was due'
              : `${result.sent} of ${settled.length} due message${settled.length === 1 ? '' : 's'} delivered${resumed}; slack via ${transports.describe.slack}, email via ${transports.describe.email}`,
          );
          for (const r of settled) ctx.io.out(line(r));

          const seen = new Set(settled.map((r) => r.key));
          const waiting = (await waitingMessages(db.sql, now)).filter((r) => !seen.has(r.key));
          if (waiting.length > 0) {
            ctx.io.out(`${waiting.length} more not due yet:`);
            for (const r of waiting) ctx.io.out(line(r));
          }
        } finally {
          await transports.close();
        }
        if (undelivered) ctx.setExitCode(1);
      });
    });
}
