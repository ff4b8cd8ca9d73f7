/**
 * The process the crash test kills. It delivers everything due through the real Slack and SMTP
 * transports (pointed at the parent's fake Slack and SMTP sink) until no row under CRASH_PREFIX
 * is left to send, waiting out the leases of rows an earlier, killed child left 'sending'.
 * Prints "ready" once connected (the parent times its SIGKILL from there) and "done" at the end.
 *
 * Environment: DATABASE_URL, SLACK_API_URL, SLACK_BOT_TOKEN, SMTP_URL, CRASH_PREFIX, CRASH_LEASE_MS.
 */
import { parseDatabaseUrl } from '../../src/config/env.js';
import { openDatabase } from '../../src/db/connect.js';
import { deliverDue } from '../../src/delivery/dispatch.js';
import { createEmailTransport } from '../../src/delivery/email-transport.js';
import { createSlackTransport } from '../../src/delivery/slack-transport.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash-child: ${name} is not set`);
  return value;
};

const leaseMs = Number(env('CRASH_LEASE_MS'));
const prefix = env('CRASH_PREFIX');
const db = await openDatabase(parseDatabaseUrl(env('DATABASE_URL'), 'DATABASE_URL'), {
  poolMax: 4,
  connectTimeoutSeconds: 10,
  statementTimeoutSeconds: 30,
});
const slack = createSlackTransport({
  token: env('SLACK_BOT_TOKEN'),
  apiUrl: env('SLACK_API_URL'),
  timeoutMs: 10_000,
  uploadCharts: true,
});
const email = createEmailTransport({ url: env('SMTP_URL'), maxConnections: 2, maxMessages: 100 });
const totals = { sent: 0, retried: 0, dead: 0, resumed: 0 };

process.stdout.write('ready\n');
for (;;) {
  const r = await deliverDue({
    sql: db.sql,
    transports: { slack, email },
    now: () => new Date(),
    // Kills inflate attempt counts (each claim is an attempt): never give up in this test.
    config: { maxAttempts: 1000, backoffBaseMs: 20, backoffMaxMs: 200, failureRoutes: { slack: [], email: [] } },
    log: (e) => {
      if (e.level !== 'info') process.stdout.write(`${JSON.stringify(e)}\n`);
    },
    leaseMs,
    concurrency: 4,
  });
  for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
  const [left] = await db.sql<{ n: number; next: Date | null }[]>`
    select count(*)::int as n, min(case when state = 'sending' then lease_until else next_attempt_at end) as next
    from pulsebot.outbox where key like ${`${prefix}%`} and state in ('pending', 'sending')`;
  if (!left || left.n === 0) break;
  // Rows a killed child left 'sending' become due when their lease ends.
  const wait = left.next ? Math.min(1000, Math.max(10, left.next.getTime() - Date.now() + 5)) : 50;
  await new Promise((r) => setTimeout(r, wait));
}
process.stdout.write(`done ${JSON.stringify(totals)}\n`);
await email.close();
await slack.close();
await db.close();
