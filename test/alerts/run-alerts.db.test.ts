import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateAlerts, type EvaluateAlertsDeps } from '../../src/alerts/run-alerts.js';
import { addSilence, tryPassLock } from '../../src/alerts/store.js';
import { parseConfig } from '../../src/config/load.js';
import type { PulsebotConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { createFileTransport } from '../../src/delivery/file-transport.js';
import { createSlackTransport } from '../../src/delivery/slack-transport.js';
import { slackLimitViolations } from '../../src/messages/slack-limits.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const TOKEN = 'xoxb-alerts-test-0000';
const CHANNELS = { '#ai-oncall': 'C0AIONCALL', '#ai-alerts': 'C0AIALERTS' };
const DEFAULT_RULES = [
  'success_rate',
  'provider_success_rate',
  'cost_vs_baseline',
  'p95_latency',
  'no_new_rows',
  'refresh_stale',
  'delivery_failures',
];

/** The default rules with only `keep` enabled (the others switched off, so each test sees one rule), plus overrides. */
function configWith(
  keep: string[],
  overrides: Record<string, Record<string, unknown>> = {},
  extra: Record<string, unknown> = {},
): PulsebotConfig {
  const rules: Record<string, unknown> = {};
  for (const name of DEFAULT_RULES) rules[name] = keep.includes(name) ? (overrides[name] ?? {}) : { enabled: false };
  return parseConfig(
    { dashboard: { url: 'https://dash.example.com/ai' }, alerts: { timezone: 'UTC', rules, ...extra } },
    '(test)',
    {},
  );
}

interface Row {
  at: Date;
  provider?: string;
  model?: string;
  success?: boolean;
  cost?: number;
  error_code?: string | null;
}

const T = new Date('2026-11-24T09:00:00Z');
const plus = (minutes: number, from = T) => new Date(from.getTime() + minutes * 60_000);

/** n calls spread over the `minutes` before `end` (none exactly at the edges), the first `failures` failed. */
function calls(n: number, failures: number, end: Date, minutes: number, extra: Partial<Row> = {}): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    at: new Date(end.getTime() - ((i + 0.5) / n) * minutes * 60_000),
    success: i >= failures,
    error_code: i < failures ? 'overloaded' : null,
    ...extra,
  }));
}

describe.each(TARGETS)('evaluateAlerts on %s', (target) => {
  let db: Database;
  let slack: FakeSlack;
  let outDir: string;
  let events: Array<Record<string, unknown>>;

  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN, channels: CHANNELS });
    outDir = mkdtempSync(join(tmpdir(), 'pulsebot-alerts-'));
    events = [];
    await db.sql`truncate public.api_usage`;
    await db.sql`truncate pulsebot.alert_states, pulsebot.alert_events, pulsebot.silences`;
    await db.sql`delete from pulsebot.outbox`;
  });
  afterEach(async () => {
    await slack.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const insert = async (rows: Row[]) => {
    if (rows.length === 0) return;
    await db.sql`insert into public.api_usage ${db.sql(
      rows.map((r) => ({
        created_at: r.at,
        provider: r.provider ?? 'openai',
        service_type: 'content',
        model: r.model ?? 'gpt-4o-mini',
        cost_usd: r.cost ?? 0.01,
        latency_ms: 900,
        success: r.success ?? true,
        error_code: r.error_code ?? null,
      })) as never[],
    )}`;
  };

  const pass = (config: PulsebotConfig, now: Date, opts: { dryRun?: boolean } = {}) => {
    const deps: EvaluateAlertsDeps = {
      sql: db.sql,
      config,
      transports: {
        slack: createSlackTransport({ token: TOKEN, apiUrl: slack.url, timeoutMs: 5000, uploadCharts: true }),
        email: createFileTransport(outDir).email,
      },
      now: () => now,
      log: (e) => events.push(e),
    };
    return evaluateAlerts(deps, opts);
  };

  const topLevel = () => slack.messages.filter((m) => !m.thread_ts);
  const everyMessageFits = () => {
    for (const m of slack.messages) expect(slackLimitViolations(m.blocks, m.text), m.text).toEqual([]);
  };

  it('fires the default success-rate rule at 54 of 60 (90% < 95%), not at 36 of 40 (below the 50-request floor)', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(40, 4, T, 15));
    const quiet = await pass(config, T);
    expect(quiet.alerts.map((a) => [a.scope, a.evaluation, a.status, a.requests])).toEqual([
      ['all', 'low_volume', 'ok', 40],
    ]);
    expect(quiet.notifications).toBe(0);
    expect(slack.messages).toEqual([]);

    await insert(calls(20, 2, T, 15));
    const fired = await pass(config, T);
    expect(fired.firing).toEqual(['success_rate all']);
    expect(fired.alerts[0]).toMatchObject({
      value: 54 / 60,
      valueText: '90.0%',
      thresholdText: '95.0%',
      requests: 60,
      notified: 'firing',
    });
    expect(topLevel().map((m) => m.channel)).toEqual(['C0AIONCALL']);
    const [message] = topLevel();
    expect(message!.text).toContain('Success rate 90.0% below 95.0%');
    const body = JSON.stringify(message!.blocks);
    expect(body).toContain('60 requests in the window');
    expect(body).toContain('overloaded');
    expect(body).toContain('https://dash.example.com/ai');
    expect(body).toContain('24 Nov 2026, 09:00 UTC');
    // The sparkline, a PNG in the message's thread.
    expect(slack.files.map((f) => [f.thread_ts, f.bytes.subarray(1, 4).toString()])).toEqual([[message!.ts, 'PNG']]);
    everyMessageFits();
    // The on-call email went to the file outbox.
    const dirs = readdirSync(outDir);
    expect(dirs).toHaveLength(1);
    const mail = await simpleParser(readFileSync(join(outDir, dirs[0]!, 'message.eml')));
    expect(mail.subject).toMatch(/^\[CRITICAL\] Success rate 90\.0% below 95\.0%/);
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('oncall@example.com');
  });

  it('a provider rule fires only for the failing provider, after its pending period', async () => {
    const config = configWith(['provider_success_rate']);
    // Two batches, in the 4 minutes before T and before T+5, each: openai 30 of 30,
    // anthropic 15 of 25 (60% < 80%), flux 5 of 10 (below the 20-request floor).
    const batch = (end: Date) => [
      ...calls(30, 0, end, 4, { provider: 'openai' }),
      ...calls(25, 10, end, 4, { provider: 'anthropic' }),
      ...calls(10, 5, end, 4, { provider: 'flux' }),
    ];
    await insert([...batch(T), ...batch(plus(5))]);
    const first = await pass(config, T);
    expect(first.alerts.map((a) => [a.scope, a.status])).toEqual([
      ['provider=anthropic', 'pending'],
      ['provider=flux', 'ok'],
      ['provider=openai', 'ok'],
    ]);
    expect(slack.messages).toEqual([]);
    const second = await pass(config, plus(5));
    expect(second.firing).toEqual(['provider_success_rate provider=anthropic']);
    expect(second.alerts.find((a) => a.scope === 'provider=anthropic')).toMatchObject({
      value: 30 / 50,
      requests: 50,
      notified: 'firing',
    });
    expect(topLevel()).toHaveLength(1);
    expect(topLevel()[0]!.channel).toBe('C0AIALERTS');
    expect(topLevel()[0]!.text).toContain('provider anthropic');
  });

  it("fires when today's cost runs above 150% of the same weekday last week", async () => {
    const config = configWith(['cost_vs_baseline'], {
      // Small numbers: no floor and no pending period, so the comparison itself is what is tested.
      cost_vs_baseline: {
        condition: { type: 'change', vs: 'same_weekday', op: '>', ratio: 1.5 },
        min_requests: 0,
        pending_minutes: 0,
      },
    });
    // Tue 24 Nov 00:00 → 09:00: $4 + $6 = $10. Tue 17 Nov 00:00 → 09:00: $2 + $4 = $6 ($50 after 09:00 does not count).
    await insert([
      { at: new Date('2026-11-24T01:00:00Z'), cost: 4 },
      { at: new Date('2026-11-24T08:30:00Z'), cost: 6 },
      { at: new Date('2026-11-17T02:00:00Z'), cost: 2 },
      { at: new Date('2026-11-17T08:59:00Z'), cost: 4 },
      { at: new Date('2026-11-17T09:30:00Z'), cost: 50 },
    ]);
    const fired = await pass(config, T); // 10 / 6 = 1.67 > 1.5
    expect(fired.alerts[0]).toMatchObject({
      value: 10,
      evaluation: 'breach',
      status: 'firing',
      thresholdText: '$9.00',
    });
    expect(topLevel()[0]!.text).toContain('Cost $10.00, 1.67× the same weekday last week');
  });

  it('the dead-man switch fires after 31 minutes without rows, not after 29', async () => {
    const config = configWith(['no_new_rows']);
    await insert([{ at: plus(-29) }]);
    expect((await pass(config, T)).alerts[0]).toMatchObject({ status: 'ok', value: 29 });
    const fired = await pass(config, plus(2));
    expect(fired.alerts[0]).toMatchObject({ status: 'firing', value: 31, notified: 'firing' });
    expect(topLevel()[0]!.text).toContain('Time since the newest api_usage row 31 min above 30 min');
  });

  it('firing → still firing → resolved: one firing message, one resolved reply in its thread, the original edited', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(60, 6, T, 15));
    expect((await pass(config, T)).notifications).toBe(1);
    expect((await pass(config, plus(1))).notifications).toBe(0);
    // From T+6 to T+20 the failures leave the window and 100 good calls come in: 100% ≥ 97% recovery.
    await insert(calls(100, 0, plus(20), 14));
    const resolved = await pass(config, plus(20));
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', notified: 'resolved', value: 1 });

    expect(topLevel()).toHaveLength(1);
    const original = topLevel()[0]!;
    const replies = slack.messages.filter((m) => m.thread_ts === original.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('Resolved after 20 min');
    expect(original.edited).toBe(true);
    expect(original.text).toMatch(
      /^✅ RESOLVED after 20 min: Success rate over the last 15 min below 95\.0% — all traffic/,
    );
    expect(JSON.stringify(original.blocks)).toContain('RESOLVED');
    everyMessageFits();

    const mails = await Promise.all(
      readdirSync(outDir).map(async (d) => simpleParser(readFileSync(join(outDir, d, 'message.eml')))),
    );
    const firingMail = mails.find((m) => m.subject?.startsWith('[CRITICAL]'))!;
    const resolvedMail = mails.find((m) => m.subject?.startsWith('[RESOLVED]'))!;
    expect(mails).toHaveLength(2);
    expect(resolvedMail.inReplyTo).toBe(firingMail.messageId);

    const log = await db.sql<{ from_status: string; to_status: string; notification: string | null }[]>`
      select from_status, to_status, notification from pulsebot.alert_events order by id`;
    expect(log.map((e) => [e.from_status, e.to_status, e.notification])).toEqual([
      ['ok', 'firing', 'firing'],
      ['firing', 'resolved', 'resolved'],
    ]);
  });

  it("a repeat after repeat_minutes is a reply in the firing message's thread", async () => {
    const config = configWith(['success_rate']); // repeat_minutes: 60 by default
    await insert([...calls(60, 6, T, 15), ...calls(60, 6, plus(59), 15), ...calls(60, 6, plus(60), 15)]);
    await pass(config, T);
    expect((await pass(config, plus(59))).notifications).toBe(0);
    const repeated = await pass(config, plus(60));
    expect(repeated.alerts[0]).toMatchObject({ status: 'firing', notified: 'repeat' });
    const [original] = topLevel();
    const replies = slack.messages.filter((m) => m.thread_ts === original!.ts);
    expect(topLevel()).toHaveLength(1);
    expect(replies.map((m) => m.text)).toEqual([expect.stringMatching(/^🔁 Still firing after 1 h: Success rate/)]);
    expect(original!.edited).toBeUndefined();
    everyMessageFits();
  });

  it('a silence holds the notification back; once it ends the still-firing alert is notified', async () => {
    const config = configWith(['success_rate']);
    await addSilence(
      db.sql,
      { rule: 'success_rate', scope: null, startsAt: plus(-5), endsAt: plus(3), comment: 'deploy', createdBy: 'test' },
      T,
    );
    await insert(calls(60, 6, T, 15));
    const silenced = await pass(config, T);
    expect(silenced.alerts[0]).toMatchObject({
      status: 'firing',
      notified: null,
      suppressedBy: expect.stringMatching(/^silence \d+$/),
    });
    expect(slack.messages).toEqual([]);
    const [event] = await db.sql<{ suppressed_by: string | null }[]>`select suppressed_by from pulsebot.alert_events`;
    expect(event?.suppressed_by).toMatch(/^silence \d+$/);

    const after = await pass(config, plus(3));
    expect(after.alerts[0]).toMatchObject({ status: 'firing', notified: 'firing' });
    expect(topLevel()).toHaveLength(1);
  });

  it('a maintenance window from the config holds notifications back like a silence', async () => {
    const config = configWith(
      ['success_rate'],
      {},
      {
        maintenance_windows: [
          { name: 'db upgrade', start: plus(-10).toISOString(), end: plus(10).toISOString(), rules: ['success_rate'] },
        ],
      },
    );
    await insert(calls(60, 6, T, 15));
    const held = await pass(config, T);
    expect(held.alerts[0]).toMatchObject({ status: 'firing', notified: null, suppressedBy: 'maintenance db upgrade' });
    expect(slack.messages).toEqual([]);
  });

  it('a model named <!channel> is escaped wherever it appears', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(60, 6, T, 15, { model: '<!channel> & <@U123|x>' }));
    await pass(config, T);
    const raw = JSON.stringify(slack.messages.map((m) => [m.text, m.blocks]));
    expect(raw).toContain('&lt;!channel&gt; &amp; &lt;@U123|x&gt;');
    expect(raw).not.toContain('<!channel>');
    expect(raw).not.toContain('<@U123');
    everyMessageFits();
  });

  it('a second pass at the same now sends nothing new', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(60, 6, T, 15));
    await pass(config, T);
    const calls1 = slack.calls.length;
    const [{ n: rows1 } = { n: 0 }] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.outbox`;
    const again = await pass(config, T);
    expect(again.notifications).toBe(0);
    expect(slack.calls.length).toBe(calls1);
    const [{ n: rows2 } = { n: 0 }] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.outbox`;
    expect(rows2).toBe(rows1);
    expect(rows1).toBe(2); // one Slack channel, one email address
  });

  it('--dry-run evaluates without storing or sending', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(60, 6, T, 15));
    const dry = await pass(config, T, { dryRun: true });
    expect(dry.alerts[0]).toMatchObject({ status: 'firing', notified: 'firing' });
    expect(slack.messages).toEqual([]);
    const [counts] = await db.sql<{ states: number; outbox: number }[]>`
      select (select count(*) from pulsebot.alert_states)::int as states, (select count(*) from pulsebot.outbox)::int as outbox`;
    expect(counts).toEqual({ states: 0, outbox: 0 });
  });

  it.runIf(target === 'postgres')('a pass that cannot take the lock skips', async () => {
    const config = configWith(['success_rate']);
    await insert(calls(60, 6, T, 15));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: (ok: boolean) => void;
    const lockTaken = new Promise<boolean>((resolve) => {
      locked = resolve;
    });
    const holder = db.sql.begin(async (tx) => {
      locked(await tryPassLock(tx));
      await held;
    });
    expect(await lockTaken).toBe(true);
    const skipped = await pass(config, T);
    release();
    await holder;
    expect(skipped).toMatchObject({ skipped: true, evaluated: 0 });
    expect(slack.messages).toEqual([]);
    expect((await pass(config, T)).notifications).toBe(1);
  });
});
