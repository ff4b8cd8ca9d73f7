// npm run bench:digest -- [--rows 10000000] [--rounds 5] [--recipients 20] [--fresh]
//
// The full daily digest over the benchmark dataset on the PostgreSQL server of DATABASE_URL:
// snapshot, 30-day series, every built-in chart rendered to PNG, the Slack message (with the
// charts uploaded into its thread) and one email per recipient (MJML rendered once, inline CID
// charts), queued in the outbox and delivered to a local Slack Web API server and a local SMTP
// server. Target (issue 6): ≤ 1.5 s wall at 10M rows with 20 email recipients.
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { deliverDue } from '../src/delivery/dispatch.js';
import { enqueue } from '../src/delivery/outbox.js';
import { createEmailTransport } from '../src/delivery/email-transport.js';
import { createSlackTransport } from '../src/delivery/slack-transport.js';
import { buildDigestModel } from '../src/report/build-digest.js';
import { composeDigest } from '../src/report/compose-digest.js';
import { startFakeSlack } from '../test/fakes/slack-api-server.js';
import { startSmtpSink } from '../test/fakes/smtp-sink.js';
import { ensureLoaded, fmt, median, ms } from './dataset.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '5' },
    recipients: { type: 'string', default: '20' },
    fresh: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows.replace(/_/g, ''));
const rounds = Number(values.rounds);
const recipients = Number(values.recipients);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl || !Number.isInteger(rows) || rows < 1000 || !(rounds >= 1) || !(recipients >= 0)) {
  console.error('usage: DATABASE_URL=postgres://… npm run bench:digest -- [--rows 10000000] [--rounds 5] [--recipients 20] [--fresh]');
  process.exit(2);
}

const db = await ensureLoaded(serverUrl, rows, values.fresh);
const slack = await startFakeSlack({ channels: { '#ai-usage': 'C0AIUSAGE1' } });
const smtp = await startSmtpSink({ parse: false });
const config = configSchema.parse({
  budget: { monthly_usd: 250_000 },
  reports: {
    daily: {
      period: 'day',
      routes: { slack: ['#ai-usage'], email: Array.from({ length: recipients }, (_, i) => `reader${i + 1}@example.com`) },
    },
  },
});
const slackTransport = createSlackTransport({ token: slack.token, apiUrl: slack.url, timeoutMs: 20_000, uploadCharts: true });
const emailTransport = createEmailTransport({ url: smtp.url, maxConnections: config.email.max_connections, maxMessages: config.email.max_messages });
// Steady state: `pulsebot refresh` compacts pending rollups after the views; a refresh benchmark
// run before may have left some behind.
await db.sql`select pulsebot.fold_changes()`;
await db.sql`select pulsebot.compact_rollups()`;
await db.sql`vacuum analyze pulsebot.usage_changes`;
const [{ n }] = (await db.sql`select count(*)::bigint as n from public.api_usage`) as unknown as [{ n: number }];
console.log(`daily digest over ${n.toLocaleString()} rows: ${config.reports.daily!.charts.length} charts, Slack + ${recipients} emails, ${rounds} rounds (the first warms caches and fonts)`);

const phases: Record<string, number[]> = { model: [], compose: [], deliver: [], total: [] };
for (let i = 0; i <= rounds; i++) {
  // Each round sends the same period again: clear its outbox rows so it is really sent.
  await db.sql`delete from pulsebot.outbox where key like 'report:daily:%'`;
  const before = { slack: slack.messages.length, mail: smtp.messages.length };
  const now = new Date();
  const t0 = process.hrtime.bigint();
  const model = await buildDigestModel(db.sql, config, { report: 'daily', now });
  const t1 = process.hrtime.bigint();
  const composed = await composeDigest(model, { name: 'daily', report: config.reports.daily!, email: config.email });
  const t2 = process.hrtime.bigint();
  await enqueue(db.sql, composed.messages, { kind: 'report', now });
  const result = await deliverDue({
    sql: db.sql,
    transports: { slack: slackTransport, email: emailTransport },
    now: () => new Date(),
    config: { maxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 10_000, failureRoutes: { slack: [], email: [] } },
    log: (e) => { if (e.level === 'error') console.error(e); },
  });
  const total = ms(t0);
  if (slack.messages.length - before.slack !== 1 || smtp.messages.length - before.mail !== recipients || result.sent !== recipients + 1) {
    throw new Error(`round ${i}: expected 1 Slack message and ${recipients} emails, got ${slack.messages.length - before.slack} and ${smtp.messages.length - before.mail} (${JSON.stringify(result)})`);
  }
  if (i === 0) {
    console.log(`warm-up ${fmt(total)}`);
    continue;
  }
  phases.model!.push(Number(t1 - t0) / 1e6);
  phases.compose!.push(Number(t2 - t1) / 1e6);
  phases.deliver!.push(total - Number(t2 - t0) / 1e6);
  phases.total!.push(total);
}
for (const [phase, xs] of Object.entries(phases)) console.log(`${phase.padEnd(8)} median ${fmt(median(xs))} [${xs.map(fmt).join(', ')}]`);
const t = median(phases.total!);
console.log(`total    ${fmt(t)} vs target 1.5 s: ${t <= 1500 ? 'met' : 'missed'} (${(t / 1500).toFixed(2)}× the target)`);
await emailTransport.close();
await slackTransport.close();
await smtp.close();
await slack.close();
await db.close();
