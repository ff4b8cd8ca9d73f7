import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type PulsebotConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { transportsFromEnv } from '../../src/delivery/transports.js';
import { runChecks } from '../../src/doctor/checks.js';
import { deliveryChecks } from '../../src/doctor/delivery-checks.js';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/**
 * doctor's information lines about alerts people acted on (acknowledged from Slack, silenced),
 * from rows written here with plain SQL; and the Slack button lines inside the delivery checks.
 */

const now = new Date('2026-11-25T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const config = defaultConfig();

describe.each(TARGETS)('doctor: acknowledged alerts and silences (%s)', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());

  const lines = async () => {
    const results = await runChecks({ sql: db.sql, config, now });
    return {
      acknowledged: results.find((r) => r.name === 'acknowledged alerts'),
      silences: results.find((r) => r.name === 'silences'),
    };
  };

  const firing = (rule: string, scope: string, episodeId: string, firingSince: Date, status = 'firing') => db.sql`
    insert into pulsebot.alert_states (rule, scope_key, state, status, updated_at)
    values (${rule}, ${scope}, ${db.sql.json({ status, episodeId, firingSince: firingSince.toISOString() })}, ${status}, ${now})`;
  const acknowledge = (key: string, episodeId: string, user: string, name: string | null, at: Date) => db.sql`
    insert into pulsebot.alert_actions (action_key, action, outcome, rule, scope_key, episode_id, slack_user_id, slack_user, at)
    values (${key}, 'acknowledge', 'applied', 'r', 's', ${episodeId}, ${user}, ${name}, ${at})`;

  it('says "none" for both on a quiet database, as information (✓)', async () => {
    const { acknowledged, silences } = await lines();
    expect(acknowledged).toEqual({ name: 'acknowledged alerts', status: 'ok', detail: 'none' });
    expect(silences).toEqual({ name: 'silences', status: 'ok', detail: 'none' });
  });

  it('lists acknowledged firing alerts and the silences in force, with who and until when', async () => {
    await firing('success_rate', 'all', 'ep-1', minutesAgo(40));
    await firing('latency_p95', 'provider=openai', 'ep-2', minutesAgo(90));
    await firing('cost_vs_baseline', 'all', 'ep-3', minutesAgo(300), 'resolved');
    await acknowledge('k1', 'ep-1', 'U0ALICE', 'alice', minutesAgo(11));
    await acknowledge('k2', 'ep-2', 'W0BOB', null, minutesAgo(30));
    // Acknowledged, then resolved: no longer listed.
    await acknowledge('k3', 'ep-3', 'U0CAROL', 'carol', minutesAgo(200));
    // A refused click is no acknowledgement.
    await db.sql`
      insert into pulsebot.alert_actions (action_key, action, outcome, rule, scope_key, episode_id, slack_user_id, at)
      values ('k4', 'acknowledge', 'not_allowed', 'latency_p95', 'provider=openai', 'ep-9', 'U0EVE', ${minutesAgo(5)})`;

    const [cli] = await db.sql<{ id: string }[]>`
      insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at)
      values ('latency_p95', null, ${minutesAgo(60)}, ${new Date(now.getTime() + 2 * 3_600_000)}, 'OpenAI incident', 'ana', ${minutesAgo(60)})
      returning id::text`;
    const [hour] = await db.sql<{ id: string }[]>`
      insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at)
      values ('latency_p95', 'provider=openai', ${minutesAgo(20)}, ${new Date(now.getTime() + 40 * 60_000)},
              'Silence 1 h from Slack by @bob (W0BOB)', 'slack:W0BOB', ${minutesAgo(20)})
      returning id::text`;
    const [resolved] = await db.sql<{ id: string }[]>`
      insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at, ends_with_episode)
      values ('success_rate', 'all', ${minutesAgo(10)}, ${new Date(now.getTime() + 7 * 86_400_000 - 10 * 60_000)},
              'Silence until resolved from Slack by @alice (U0ALICE)', 'slack:U0ALICE', ${minutesAgo(10)}, 'ep-1')
      returning id::text`;
    // Ended and removed silences are not in force.
    await db.sql`
      insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at, removed_at)
      values ('success_rate', null, ${minutesAgo(300)}, ${minutesAgo(100)}, 'old', 'ana', ${minutesAgo(300)}, null),
             ('success_rate', null, ${minutesAgo(50)}, ${minutesAgo(1)}, 'removed', 'ana', ${minutesAgo(50)}, ${minutesAgo(1)})`;

    const { acknowledged, silences } = await lines();
    expect(acknowledged).toEqual({
      name: 'acknowledged alerts',
      status: 'ok',
      detail:
        'latency_p95 on provider=openai: acknowledged by W0BOB at 25 Nov 2026, 11:30 UTC, firing since 25 Nov 2026, 10:30 UTC; ' +
        'success_rate on all: acknowledged by @alice (U0ALICE) at 25 Nov 2026, 11:49 UTC, firing since 25 Nov 2026, 11:20 UTC',
    });
    expect(silences).toEqual({
      name: 'silences',
      status: 'ok',
      detail:
        `${cli!.id}: latency_p95 (every scope) until 25 Nov 2026, 14:00 UTC, by ana (“OpenAI incident”); ` +
        `${hour!.id}: latency_p95 on provider=openai until 25 Nov 2026, 12:40 UTC, by Slack user W0BOB (“Silence 1 h from Slack by @bob (W0BOB)”); ` +
        `${resolved!.id}: success_rate on all until the alert resolves (at most 2 Dec 2026, 11:50 UTC), by Slack user U0ALICE (“Silence until resolved from Slack by @alice (U0ALICE)”)`,
    });
  });

  it('keeps to ten items a line, counting the rest', async () => {
    for (let i = 0; i < 12; i++) {
      await db.sql`
        insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at)
        values ('cost_vs_baseline', ${`model=m${i}`}, ${now}, ${new Date(now.getTime() + 3_600_000)}, 'bulk', 'ana', ${now})`;
    }
    const { silences } = await lines();
    expect(silences!.detail.split('; ')).toHaveLength(11);
    expect(silences!.detail).toMatch(/; and 5 more \(pulsebot silence list\)$/);
  });
});

describe('doctor: Slack button lines among the delivery checks', () => {
  let db: Database;
  let slack: FakeSlack | undefined;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(() => db.close());
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  const withResponders = (responders: string[]): PulsebotConfig => ({
    ...config,
    alerts: { ...config.alerts, slack_responders: responders },
  });

  const deliveryLines = async (fake: FakeSlack, cfg: PulsebotConfig) => {
    const env = { SLACK_BOT_TOKEN: fake.token, SLACK_APP_TOKEN: fake.appToken, SLACK_API_URL: fake.url };
    const transports = transportsFromEnv(env, cfg);
    try {
      return await deliveryChecks({ sql: db.sql, config: cfg, env, now: new Date(), transports });
    } finally {
      await transports.close();
    }
  };

  it('a bot token without usergroups:read fails the slack line and the responders line when a group is listed', async () => {
    slack = await startFakeSlack({ usergroups: { S0ONCALL: ['U0A'] } });
    slack.failNext('usergroups.users.list', { error: 'missing_scope' });
    const results = await deliveryLines(slack, withResponders(['S0ONCALL']));
    const byName = new Map(results.map((r) => [r.name, r]));
    expect(byName.get('slack')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'lacks usergroups:read (to read the members of the user groups in alerts.slack_responders)',
      ),
    });
    expect(byName.get('slack buttons')?.status).toBe('ok');
    expect(byName.get('slack responders')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/S0ONCALL/) });
  });

  it('all ✓ with usergroups:read granted', async () => {
    slack = await startFakeSlack({
      scopes: [...FAKE_SLACK_SCOPES, 'usergroups:read'],
      usergroups: { S0ONCALL: ['U0A'] },
    });
    const results = await deliveryLines(slack, withResponders(['S0ONCALL']));
    const slackLines = results.filter((r) => r.name.startsWith('slack'));
    expect(slackLines.map((r) => [r.name, r.status])).toEqual([
      ['slack', 'ok'],
      ['slack buttons', 'ok'],
      ['slack responders', 'ok'],
    ]);
    expect(slackLines[0]!.detail).toContain('usergroups:read');
  });
});
