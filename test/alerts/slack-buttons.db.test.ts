import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/alerts/slack-actions.js';
import { evaluateAlerts } from '../../src/alerts/run-alerts.js';
import { listSilences } from '../../src/alerts/store.js';
import { parseConfig } from '../../src/config/load.js';
import type { PulsebotConfig } from '../../src/config/schema.js';
import { createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import { SOCKET_DOWN_GRACE_MS, socketReadinessReason, startSlackButtons } from '../../src/daemon/slack-buttons.js';
import type { SlackSocket } from '../../src/daemon/slack-socket.js';
import type { Database } from '../../src/db/connect.js';
import { transportsFromEnv, type Transports } from '../../src/delivery/transports.js';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty-server.js';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../fakes/slack-api-server.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { failingCalls } from './fixtures.js';

/**
 * The buttons end to end: a firing alert posted to the local Slack, a real Socket Mode client
 * connected to the local stand-in, clicks sent as Slack sends them, and what they leave behind
 * in the database, in the channel and in the next evaluation.
 */

const TOKEN = 'xoxb-buttons-test-0000';
const PD_KEY = 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32';
const CHANNELS = { '#ai-oncall': 'C0AIONCALL' };
const T = new Date('2026-11-24T09:00:00Z');
const minutes = (n: number, from = T) => new Date(from.getTime() + n * 60_000);

function configWith(alerts: Record<string, unknown> = {}, pagerduty: string[] = []): PulsebotConfig {
  const off = { enabled: false };
  return parseConfig(
    {
      alerts: {
        timezone: 'UTC',
        ...alerts,
        rules: {
          success_rate: { routes: { slack: ['#ai-oncall'], email: [], pagerduty } },
          provider_success_rate: off,
          cost_vs_baseline: off,
          p95_latency: off,
          no_new_rows: off,
          refresh_stale: off,
          delivery_failures: off,
        },
      },
    },
    '(test)',
    { PD_ROUTING_KEY: PD_KEY },
  );
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(TARGETS)('Slack alert buttons on %s', (target) => {
  let db: Database;
  let slack: FakeSlack;
  let outDir: string;
  let clock: Date;
  let config: PulsebotConfig;
  let transports: Transports | undefined;
  let sockets: SlackSocket[];
  let logLines: string[];
  let events: Array<Record<string, unknown>>;
  let pd: FakePagerDuty | undefined;

  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    slack = await startFakeSlack({
      token: TOKEN,
      channels: CHANNELS,
      usergroups: { S0ONCALL: ['U0CAROL'] },
    });
    outDir = mkdtempSync(join(tmpdir(), 'pulsebot-buttons-'));
    clock = T;
    sockets = [];
    logLines = [];
    events = [];
    transports = undefined;
    config = configWith();
    await db.sql`truncate public.api_usage`;
    await db.sql`truncate pulsebot.alert_states, pulsebot.alert_events, pulsebot.silences, pulsebot.alert_actions`;
    await db.sql`delete from pulsebot.outbox`;
  });
  afterEach(async () => {
    for (const s of sockets) await s.stop();
    await transports?.close();
    await pd?.close();
    pd = undefined;
    await slack.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const env = () => ({
    PD_ROUTING_KEY: PD_KEY,
    ...(pd ? { PAGERDUTY_EVENTS_URL: pd.url } : {}),
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.url,
    PULSEBOT_OUTBOX_DIR: outDir,
  });

  /** n calls in the 15 minutes before `end`, the first `failures` of them failed. */
  const insert = async (n: number, failures: number, end: Date) => {
    await db.sql`insert into public.api_usage ${db.sql(failingCalls(n, failures, end) as never[])}`;
  };

  const pass = () => {
    transports ??= transportsFromEnv(env(), config);
    return evaluateAlerts({
      sql: db.sql,
      config,
      transports,
      now: () => clock,
      log: () => {},
      slackButtons: true,
    });
  };

  const connect = async () => {
    transports ??= transportsFromEnv(env(), config);
    const t = transports;
    const log = await createLogger({
      level: 'debug',
      pretty: false,
      destination: lineDestination((l) => logLines.push(l)),
    });
    const metrics = createDaemonMetrics({ startedAt: T, memory: () => process.memoryUsage(), now: () => clock });
    const socket = startSlackButtons({
      appToken: slack.appToken,
      env: env(),
      config,
      sql: db.sql,
      transports: t,
      now: () => clock,
      log,
      metrics,
      deliveryLog: (e) => events.push(e),
      clientPingTimeoutMs: 200,
    });
    sockets.push(socket);
    await until('the Socket Mode connection', async () => socket.state().connected);
    return { socket, metrics };
  };

  /** Fires the success-rate alert (54 of 60 succeed: 90% < 95%) and returns its Slack message. */
  const fire = async () => {
    await insert(60, 6, T);
    const r = await pass();
    expect(r.firing).toEqual(['success_rate all']);
    const [message] = slack.messages.filter((m) => !m.thread_ts);
    return message!;
  };

  const actionsOf = () =>
    db.sql<{ action: string; outcome: string; slack_user_id: string; silence_id: string | null; at: Date }[]>`
      select action, outcome, slack_user_id, silence_id::text, at from pulsebot.alert_actions order by id`;
  const buttonIds = (m: FakeSlackMessage) =>
    m.blocks.flatMap((b) => {
      const block = b as { type: string; elements?: Array<{ action_id?: string }> };
      return block.type === 'actions' ? (block.elements ?? []).map((e) => e.action_id) : [];
    });
  const repliesTo = (m: FakeSlackMessage) => slack.messages.filter((r) => r.thread_ts === m.ts);
  const click = (m: FakeSlackMessage, action: keyof typeof ACTION_IDS, user: { id: string; name?: string }) =>
    slack.socket.sendInteractive(slack.blockActions(m, ACTION_IDS[action], user));

  it('a firing message carries the three buttons next to the links', async () => {
    const message = await fire();
    // No dashboard or runbook URL in this config: the buttons are the only actions.
    expect(buttonIds(message)).toEqual([
      'pulsebot_acknowledge',
      'pulsebot_silence_1h',
      'pulsebot_silence_until_resolved',
    ]);
  });

  it('Acknowledge: stored with the user and time, the message edited, a reply in the thread, no more repeats', async () => {
    const message = await fire();
    await connect();
    clock = minutes(3);
    const { ack } = await click(message, 'acknowledge', { id: 'U0ALICE', name: 'alice' });
    expect(ack).toEqual({});
    const [row] = await until('the stored click', async () => (await actionsOf()).at(0) && actionsOf());
    expect(row).toMatchObject({ action: 'acknowledge', outcome: 'applied', slack_user_id: 'U0ALICE' });
    expect(row!.at.toISOString()).toBe(minutes(3).toISOString());

    // The reply is posted first, then the message edited: both are one outbox message.
    await until('the edit', async () => slack.messages.find((m) => m.ts === message.ts)?.edited);
    expect(repliesTo(message)).toHaveLength(1);
    expect(repliesTo(message)[0]!.text).toContain('Acknowledged by <@U0ALICE> at 24 Nov 2026, 09:03 UTC');
    const edited = slack.messages.find((m) => m.ts === message.ts)!;
    expect(buttonIds(edited)).not.toContain(ACTION_IDS.acknowledge);
    expect(buttonIds(edited)).toContain(ACTION_IDS.silence_1h);
    expect(JSON.stringify(edited.blocks)).toContain('✋ Acknowledged by <@U0ALICE> at 24 Nov 2026, 09:03 UTC');

    // Past the rule's 60-minute repeat, still failing: no repeat for an acknowledged episode.
    clock = minutes(70);
    await insert(60, 6, clock);
    const later = await pass();
    expect(later.firing).toEqual(['success_rate all']);
    expect(later.notifications).toBe(0);
    expect(later.alerts[0]!.acknowledgedBy).toBe('U0ALICE');
    expect(repliesTo(message)).toHaveLength(1);

    // A second Acknowledge is told who was first, and only the clicker sees it.
    await click(slack.messages.find((m) => m.ts === message.ts)!, 'silence_1h', { id: 'U0BOB' });
    await until('the silence reply', async () => repliesTo(message).length === 2);
    // Bob's Slack still shows the button (a stale view): the click arrives all the same.
    const stale = slack.blockActions(message, ACTION_IDS.silence_1h, { id: 'U0BOB', name: 'bob' });
    (stale.actions as Array<Record<string, unknown>>)[0]!.action_id = ACTION_IDS.acknowledge;
    await slack.socket.sendInteractive(stale);
    await until('the ephemeral answer', async () => slack.ephemerals.length === 1);
    expect(slack.ephemerals[0]).toMatchObject({ channel: 'C0AIONCALL', user: 'U0BOB' });
    expect(slack.ephemerals[0]!.text).toBe('Already acknowledged by <@U0ALICE> at 24 Nov 2026, 09:03 UTC.');
    expect((await actionsOf()).map((a) => a.outcome)).toEqual(['applied', 'applied', 'already_acknowledged']);

    // The resolve says who acknowledged it, in the thread and in the message it edits.
    clock = minutes(90);
    await insert(300, 0, clock);
    const resolved = await pass();
    expect(resolved.alerts[0]!.status).toBe('resolved');
    const acknowledged = 'Acknowledged by <@U0ALICE> at 24 Nov 2026, 09:03 UTC.';
    expect(JSON.stringify(slack.messages.find((m) => m.ts === message.ts)!.blocks)).toContain(acknowledged);
    expect(JSON.stringify(repliesTo(message).at(-1)!.blocks)).toContain(
      '*Acknowledged*\\n<@U0ALICE> at 24 Nov 2026, 09:03 UTC',
    );
  });

  it('Acknowledge in Slack acknowledges the PagerDuty incident of the same episode', async () => {
    pd = await startFakePagerDuty();
    config = configWith({}, ['${PD_ROUTING_KEY}']);
    const message = await fire();
    expect(pd.events.map((e) => e.event_action)).toEqual(['trigger']);
    await connect();
    await click(message, 'acknowledge', { id: 'U0ALICE', name: 'alice' });
    await until('the acknowledge event', async () => pd!.events.length === 2);
    const [trigger, acknowledge] = pd.events;
    expect(acknowledge).toEqual({
      routing_key: PD_KEY,
      event_action: 'acknowledge',
      dedup_key: trigger!.dedup_key,
    });
    expect(trigger!.dedup_key).toBe(`success_rate|all|${T.toISOString()}`);
    // A silence is pulsebot's business: PagerDuty hears nothing of it.
    await click(message, 'silence_1h', { id: 'U0ALICE', name: 'alice' });
    await until('the silence reply', async () => repliesTo(message).length === 2);
    expect(pd.events).toHaveLength(2);
  });

  it('Silence 1 h: a silence like `silence add` would make, with the Slack user, and a reply in the thread', async () => {
    const message = await fire();
    await connect();
    clock = minutes(5);
    await click(message, 'silence_1h', { id: 'U0BOB', name: 'bob' });
    await until('the thread reply', async () => repliesTo(message).length === 1);

    const [silence] = await listSilences(db.sql, { now: clock });
    expect(silence).toMatchObject({
      matchers: { rule: 'success_rate', scope: 'all' },
      created_by: 'slack:U0BOB',
      comment: 'Silence 1 h from Slack by @bob (U0BOB)',
      endsWithEpisode: null,
    });
    expect(silence!.starts_at.toISOString()).toBe(minutes(5).toISOString());
    expect(silence!.ends_at.toISOString()).toBe(minutes(65).toISOString());
    const [row] = await actionsOf();
    expect(row).toMatchObject({
      action: 'silence_1h',
      outcome: 'applied',
      slack_user_id: 'U0BOB',
      silence_id: silence!.id,
    });
    expect(repliesTo(message)[0]!.text).toBe(
      `🔕 Silenced for 1 h, until 24 Nov 2026, 10:05 UTC by <@U0BOB> (silence ${silence!.id}; \`pulsebot silence remove ${silence!.id}\` ends it). The resolve will still be posted here.`,
    );
    // The message is not edited by a silence.
    expect(slack.messages.find((m) => m.ts === message.ts)!.edited).toBeUndefined();
  });

  it('Silence until resolved ends when the alert resolves; a click after that says it resolved', async () => {
    const message = await fire();
    const firedBlocks = structuredClone(message.blocks);
    await connect();
    clock = minutes(2);
    await click(message, 'silence_until_resolved', { id: 'U0BOB', name: 'bob' });
    await until('the thread reply', async () => repliesTo(message).length === 1);
    const [silence] = await listSilences(db.sql, { now: clock });
    expect(silence!.endsWithEpisode).toBe(`success_rate|all|${T.toISOString()}`);
    expect(repliesTo(message)[0]!.text).toContain('🔕 Silenced until it resolves by <@U0BOB>');

    // Recovery: the next 15 minutes all succeed.
    clock = minutes(20);
    await insert(200, 0, clock);
    const resolved = await pass();
    expect(resolved.alerts[0]!.status).toBe('resolved');
    const [ended] = await db.sql<{ ends_at: Date }[]>`select ends_at from pulsebot.silences where id = ${silence!.id}`;
    expect(ended!.ends_at.toISOString()).toBe(minutes(20).toISOString());
    expect(await listSilences(db.sql, { now: clock })).toEqual([]);

    // The resolve edits the buttons away; a click from a view of the message from before still arrives.
    expect(buttonIds(slack.messages.find((m) => m.ts === message.ts)!)).toEqual([]);
    clock = minutes(21);
    const live = slack.messages.find((m) => m.ts === message.ts)!;
    const resolvedBlocks = live.blocks;
    live.blocks = firedBlocks;
    const payload = slack.blockActions(live, ACTION_IDS.silence_1h, { id: 'U0BOB', name: 'bob' });
    live.blocks = resolvedBlocks;
    await slack.socket.sendInteractive(payload);
    await until('the ephemeral answer', async () => slack.ephemerals.length === 1);
    expect(slack.ephemerals[0]!.text).toBe(
      'This alert already resolved at 24 Nov 2026, 09:20 UTC: nothing to silence.',
    );
    expect((await actionsOf()).map((a) => [a.action, a.outcome, a.silence_id])).toEqual([
      ['silence_until_resolved', 'applied', silence!.id],
      ['silence_1h', 'already_resolved', null],
    ]);
    expect(await listSilences(db.sql, { now: clock })).toEqual([]);
  });

  it('alerts.slack_responders: others are told they may not act, members of a listed group may', async () => {
    config = configWith({ slack_responders: ['U0ALICE', 'S0ONCALL'] });
    const message = await fire();
    await connect();
    await click(message, 'silence_1h', { id: 'U0BOB', name: 'bob' });
    await until('the ephemeral answer', async () => slack.ephemerals.length === 1);
    expect(slack.ephemerals[0]).toMatchObject({ user: 'U0BOB' });
    expect(slack.ephemerals[0]!.text).toMatch(/not allowed/);
    expect(await listSilences(db.sql, { now: clock })).toEqual([]);

    await click(message, 'acknowledge', { id: 'U0CAROL', name: 'carol' });
    await until('the thread reply', async () => repliesTo(message).length === 1);
    expect((await actionsOf()).map((a) => [a.slack_user_id, a.outcome])).toEqual([
      ['U0BOB', 'not_allowed'],
      ['U0CAROL', 'applied'],
    ]);
  });

  it('one click delivered to two replicas is applied once', async () => {
    const message = await fire();
    const first = await connect();
    const second = await connect();
    await slack.socket.waitForConnections(2);
    const acks = await slack.socket.broadcastSameEnvelope(
      slack.blockActions(message, ACTION_IDS.silence_1h, { id: 'U0BOB', name: 'bob' }),
    );
    expect(acks).toHaveLength(2);
    await until('the thread reply', async () => repliesTo(message).length === 1);
    await until('the delivery recorded', async () => {
      const [row] = await db.sql<
        { state: string }[]
      >`select state from pulsebot.outbox where key like 'slack-action:%'`;
      return row?.state === 'sent';
    });
    // Both replicas have finished with it once the metrics count it once in all.
    const handled = () => events.filter((e) => e.event === 'slack.action' || e.event === 'slack.action_duplicate');
    await until('both replicas done', async () => handled().length === 2);
    expect(
      handled()
        .map((e) => e.event)
        .sort(),
    ).toEqual(['slack.action', 'slack.action_duplicate']);
    expect(await actionsOf()).toHaveLength(1);
    expect(await listSilences(db.sql, { now: clock })).toHaveLength(1);
    expect(repliesTo(message)).toHaveLength(1);
    const counted = [first, second].map(
      (r) =>
        /pulsebot_alert_actions_total\{action="silence_1h",outcome="applied"\} (\d+)/.exec(
          r.metrics.registry.expose(),
        )?.[1],
    );
    expect(counted.filter((c) => c === '1')).toHaveLength(1);
  });

  it('a connection that stays down makes /readyz say so; it comes back by itself', async () => {
    const { socket, metrics } = await connect();
    expect(metrics.registry.expose()).toMatch(/pulsebot_slack_socket_connected 1/);
    slack.socket.refuse(true);
    slack.socket.drop();
    await until('the drop noticed', async () => !socket.state().connected);
    const downSince = socket.state().downSince!;
    expect(socketReadinessReason(socket.state(), new Date(downSince.getTime() + 1000))).toBeNull();
    expect(socketReadinessReason(socket.state(), new Date(downSince.getTime() + SOCKET_DOWN_GRACE_MS))).toBe(
      `Slack Socket Mode down since ${downSince.toISOString()}: alert buttons do nothing`,
    );
    expect(metrics.registry.expose()).toMatch(/pulsebot_slack_socket_connected 0/);
    slack.socket.refuse(false);
    await until('the reconnection', async () => socket.state().connected);
    expect(socketReadinessReason(socket.state(), minutes(60))).toBeNull();
  });
});
