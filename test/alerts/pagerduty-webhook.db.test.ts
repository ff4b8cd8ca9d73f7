import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../src/alerts/run-alerts.js';
import { parseConfig } from '../../src/config/load.js';
import type { PulsebotConfig } from '../../src/config/schema.js';
import type { Database, Sql } from '../../src/db/connect.js';
import { deliverConfigOf } from '../../src/delivery/deliver-config.js';
import { deliverDue } from '../../src/delivery/dispatch.js';
import { transportsFromEnv, type Transports } from '../../src/delivery/transports.js';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty-server.js';
import { startWebhookReceiver, type FakeWebhookReceiver } from '../fakes/webhook-receiver.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { failingCalls } from './fixtures.js';

/**
 * The success-rate rule routed to PagerDuty and a webhook, against a local PagerDuty and a local
 * receiver: what each gets on firing, repeat and resolve, once only across passes and replicas,
 * and what happens on 429, 400 and a wrong secret.
 */

const PD_KEY = 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32';
const SECRET = 'webhook-secret-for-tests-7f3a9c';
const OTHER_RULES = ['provider_success_rate', 'cost_vs_baseline', 'p95_latency', 'no_new_rows', 'refresh_stale'];

const T = new Date('2026-11-24T09:00:00Z');
const plus = (minutes: number, from = T) => new Date(from.getTime() + minutes * 60_000);

describe.each(TARGETS)('alerts to PagerDuty and webhooks on %s', (target) => {
  let db: Database;
  let pd: FakePagerDuty;
  let hook: FakeWebhookReceiver;
  let outDir: string;
  let logs: Array<Record<string, unknown>>;
  let opened: Transports[];

  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    pd = await startFakePagerDuty();
    hook = await startWebhookReceiver(SECRET);
    outDir = mkdtempSync(join(tmpdir(), 'pulsebot-pd-'));
    logs = [];
    opened = [];
    await db.sql`truncate public.api_usage`;
    await db.sql`truncate pulsebot.alert_states, pulsebot.alert_events, pulsebot.silences`;
    await db.sql`delete from pulsebot.outbox`;
  });
  afterEach(async () => {
    for (const t of opened) await t.close();
    await pd.close();
    await hook.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    PD_ROUTING_KEY: PD_KEY,
    PULSEBOT_WEBHOOK_SECRET: SECRET,
    PAGERDUTY_EVENTS_URL: pd.url,
    PULSEBOT_OUTBOX_DIR: outDir,
    ...extra,
  });

  /** success_rate alone, to PagerDuty and the receiver; delivery failures reported by email. */
  const config = (webhook = hook.url): PulsebotConfig => {
    const rules: Record<string, unknown> = Object.fromEntries(OTHER_RULES.map((n) => [n, { enabled: false }]));
    rules.success_rate = {
      routes: { slack: [], email: [], pagerduty: ['${PD_ROUTING_KEY}'], webhook: [webhook] },
      runbook_url: 'https://runbooks.example.com/success-rate',
    };
    rules.delivery_failures = { enabled: false };
    return parseConfig(
      {
        dashboard: { url: 'https://dash.example.com/ai' },
        delivery: { failure_routes: { email: ['ops@example.com'] } },
        alerts: { timezone: 'UTC', rules },
      },
      '(test)',
      env(),
    );
  };

  const transports = (cfg: PulsebotConfig, extra: Record<string, string> = {}) => {
    const t = transportsFromEnv(env(extra), cfg);
    opened.push(t);
    return t;
  };

  const pass = (cfg: PulsebotConfig, now: Date, sql: Sql = db.sql, t = transports(cfg)) =>
    evaluateAlerts({ sql, config: cfg, transports: t, now: () => now, log: (e) => logs.push(e) });

  const deliver = (cfg: PulsebotConfig, now: Date, t = transports(cfg)) =>
    deliverDue({
      sql: db.sql,
      transports: t,
      files: t.files,
      now: () => now,
      config: deliverConfigOf(cfg),
      log: (e) => logs.push(e),
      random: () => 0,
    });

  const insert = async (rows: ReturnType<typeof failingCalls>) => {
    await db.sql`insert into public.api_usage ${db.sql(rows as never[])}`;
  };

  /** Everything pulsebot wrote that a person or another system could read: no routing key, no secret in any of it. */
  const expectNoSecrets = async () => {
    const rows = await db.sql<{ text: string }[]>`
      select concat_ws(' ', key, destination, payload::text, receipt::text, last_error) as text from pulsebot.outbox`;
    const files = readdirSync(outDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'));
    const everything = [...rows.map((r) => r.text), JSON.stringify(logs), ...files].join('\n');
    expect(everything).not.toContain(PD_KEY);
    expect(everything).not.toContain(SECRET);
  };

  it('firing triggers, a repeat does not, resolve closes the same dedup_key; the webhook gets all three, signed', async () => {
    const cfg = config();
    // 54 of 60 (90%) below 95%: fires at T.
    await insert(failingCalls(60, 6, T));
    expect((await pass(cfg, T)).firing).toEqual(['success_rate all']);
    expect(pd.events).toHaveLength(1);
    const trigger = pd.events[0]!;
    expect(trigger).toMatchObject({
      routing_key: PD_KEY,
      event_action: 'trigger',
      dedup_key: `success_rate|all|${T.toISOString()}`,
      client: 'pulsebot',
      client_url: 'https://dash.example.com/ai',
      links: [
        { href: 'https://dash.example.com/ai', text: 'Dashboard' },
        { href: 'https://runbooks.example.com/success-rate', text: 'Runbook' },
      ],
    });
    expect(trigger.images).toBeUndefined();
    const payload = trigger.payload as Record<string, unknown>;
    expect(payload).toMatchObject({ severity: 'critical', class: 'success_rate', timestamp: T.toISOString() });
    expect(payload.source).toMatch(/^pulsebot: database /);
    expect(payload.summary).toContain('Success rate 90.0% below 95.0% — all traffic');
    expect(payload.summary).toContain('60 requests');
    expect(payload.component).toBeUndefined(); // all traffic: no provider or model
    expect(payload.custom_details).toMatchObject({
      rule: 'success_rate',
      value: '90.0%',
      threshold: '95.0%',
      volume: 60,
      top_contributors: expect.arrayContaining([expect.stringContaining('overloaded 6')]),
    });

    // Still failing an hour later: the default repeat_minutes (60) repeats, but not on PagerDuty.
    await insert(failingCalls(60, 6, plus(60)));
    expect((await pass(cfg, plus(60))).alerts[0]).toMatchObject({ status: 'firing', notified: 'repeat' });
    expect(pd.events).toHaveLength(1);

    // Recovered: 100 good calls in the 15 minutes before T+80 (100% ≥ the 97% recovery).
    await insert(failingCalls(100, 0, plus(80)));
    expect((await pass(cfg, plus(80))).alerts[0]).toMatchObject({ status: 'resolved', notified: 'resolved' });
    expect(pd.events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', trigger.dedup_key],
      ['resolve', trigger.dedup_key],
    ]);
    expect(pd.events[1]!.payload).toBeUndefined();
    expect([...pd.incidents.values()]).toEqual([['trigger', 'resolve']]);

    // The webhook: firing, repeat, resolved, each with a signature the receiver checked itself.
    expect(hook.rejected).toEqual([]);
    expect(hook.received.map((r) => [r.path, r.body.event, r.body.state])).toEqual([
      ['/hooks/pulsebot', 'firing', 'firing'],
      ['/hooks/pulsebot', 'repeat', 'firing'],
      ['/hooks/pulsebot', 'resolved', 'resolved'],
    ]);
    const [firing, repeat, resolved] = hook.received.map((r) => r.body);
    expect(firing).toMatchObject({
      version: 1,
      rule: 'success_rate',
      severity: 'critical',
      scope: { key: 'all', dimension: 'all', value: null, label: 'all traffic' },
      value: 0.9,
      threshold: 0.95,
      volume: 60,
      since: T.toISOString(),
      firing_since: T.toISOString(),
      resolved_at: null,
      dashboard_url: 'https://dash.example.com/ai',
      runbook_url: 'https://runbooks.example.com/success-rate',
      contributors: expect.arrayContaining([{ kind: 'error_code', name: 'overloaded', count: 6, share: 1 }]),
    });
    expect(firing!.summary).toContain('Success rate 90.0% below 95.0%');
    expect(repeat).toMatchObject({ event: 'repeat', value: 0.9, since: T.toISOString() });
    expect(resolved).toMatchObject({ value: 1, resolved_at: plus(80).toISOString(), contributors: [] });
    for (const r of hook.received) {
      expect(Date.parse(r.body.sent_at as string)).not.toBeNaN();
      expect(r.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
    await expectNoSecrets();
  });

  it('a second replica evaluating at the same time triggers nothing more', async () => {
    const cfg = config();
    await insert(failingCalls(60, 6, T));
    // On PostgreSQL the second replica has its own connections; PGlite has one session, so the passes queue on it.
    const other =
      target === 'postgres' ? postgres((db.target as { url: string }).url, { max: 4, onnotice: () => {} }) : null;
    try {
      const results = await Promise.all([pass(cfg, T), pass(cfg, T, (other ?? db.sql) as Sql)]);
      expect(results.filter((r) => r.notifications === 1)).toHaveLength(1);
    } finally {
      await other?.end();
    }
    // And the pass after both, at the same time, finds nothing to say.
    expect((await pass(cfg, T)).notifications).toBe(0);
    expect(pd.events.map((e) => e.event_action)).toEqual(['trigger']);
    expect(hook.received).toHaveLength(1);
  });

  it("429 is retried after PagerDuty's Retry-After", async () => {
    const cfg = config();
    await insert(failingCalls(60, 6, T));
    pd.failNext({ status: 429, retryAfter: 120 });
    await pass(cfg, T);
    expect(pd.events).toEqual([]);
    const [row] = await db.sql<{ state: string; next_attempt_at: Date; last_error: string }[]>`
      select state, next_attempt_at, last_error from pulsebot.outbox where channel = 'pagerduty'`;
    // The first backoff is the 30 s base (no jitter on attempt 1); PagerDuty asked for 120 s, which wins.
    expect(row).toMatchObject({ state: 'pending', next_attempt_at: new Date(T.getTime() + 120_000) });
    expect(row!.last_error).toContain('HTTP 429');
    expect((await deliver(cfg, new Date(T.getTime() + 119_000))).sent).toBe(0);
    expect((await deliver(cfg, new Date(T.getTime() + 120_000))).sent).toBe(1);
    expect(pd.events.map((e) => e.event_action)).toEqual(['trigger']);
  });

  it('400 is given up with PagerDuty’s error shown, and reported through the email failure route', async () => {
    const cfg = config();
    await insert(failingCalls(60, 6, T));
    pd.failNext({ status: 400, errors: ["'payload.summary' is too long"] });
    await pass(cfg, T);
    const [row] = await db.sql<{ state: string; attempts: number; last_error: string; destination: string }[]>`
      select state, attempts, last_error, destination from pulsebot.outbox where channel = 'pagerduty'`;
    expect(row).toMatchObject({ state: 'dead', attempts: 1 });
    expect(row!.last_error).toContain("HTTP 400: Event object is invalid: 'payload.summary' is too long");
    expect(row!.destination).toMatch(/^PagerDuty key [0-9a-f]{12}$/);
    // The notice went through the other route (email, here the file outbox).
    const notices = await db.sql<{ destination: string; subject: string; text: string }[]>`
      select destination, payload->>'subject' as subject, payload->>'text' as text
      from pulsebot.outbox where kind = 'failure_notice'`;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ destination: 'ops@example.com' });
    expect(notices[0]!.subject).toContain('could not deliver an alert (PagerDuty key');
    expect(notices[0]!.text).toContain("'payload.summary' is too long");
    await expectNoSecrets();
  });

  it('a receiver with another secret refuses the body; the webhook message is given up', async () => {
    const stranger = await startWebhookReceiver('not-the-secret-pulsebot-has');
    try {
      const cfg = config(stranger.url);
      await insert(failingCalls(60, 6, T));
      await pass(cfg, T);
      expect(stranger.received).toEqual([]);
      expect(stranger.rejected).toHaveLength(1);
      const [row] = await db.sql<{ state: string; last_error: string }[]>`
        select state, last_error from pulsebot.outbox where channel = 'webhook'`;
      expect(row).toMatchObject({ state: 'dead' });
      expect(row!.last_error).toContain('HTTP 401: bad signature');
      expect(hook.received).toEqual([]);
    } finally {
      await stranger.close();
    }
  });

  it('a webhook answering 503 is retried, then delivered', async () => {
    const cfg = config();
    await insert(failingCalls(60, 6, T));
    hook.failNext(503);
    await pass(cfg, T);
    expect(hook.received).toEqual([]);
    const [row] = await db.sql<{ state: string; next_attempt_at: Date }[]>`
      select state, next_attempt_at from pulsebot.outbox where channel = 'webhook'`;
    // The first backoff is exactly the 30 s base (503 carries no Retry-After).
    expect(row).toMatchObject({ state: 'pending', next_attempt_at: new Date(T.getTime() + 30_000) });
    expect((await deliver(cfg, new Date(T.getTime() + 60_000))).sent).toBe(1);
    expect(hook.received.map((r) => r.body.event)).toEqual(['firing']);
  });
});
