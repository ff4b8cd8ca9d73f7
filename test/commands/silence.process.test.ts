import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TARGETS, freshEnvironment, type FreshEnvironment } from '../support/databases.js';

describe.each(TARGETS)('pulsebot silence (subprocess, %s)', (target) => {
  let env: FreshEnvironment;
  let cwd: string;
  beforeAll(async () => {
    env = await freshEnvironment(target);
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-silence-'));
  });
  afterAll(async () => {
    await env.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli(['silence', ...args], { env: { ...env.env, USER: 'ana' }, cwd });

  it('adds, lists and removes a silence; the row says who, why, and exactly how long', async () => {
    const added = await cli([
      'add',
      '--rule',
      'provider_success_rate',
      '--scope',
      'provider=openai',
      '--for',
      '2h',
      '--comment',
      'OpenAI incident <INC-42>',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const id =
      /^silence (\d+): provider_success_rate on provider=openai until \S+ \(2 h\) — OpenAI incident <INC-42>$/m.exec(
        added.stdout,
      )?.[1];
    expect(id, added.stdout).toBeDefined();

    const db = await env.open();
    try {
      const [row] = await db.sql<
        { rule: string; scope_key: string; span_ms: number; comment: string; created_by: string }[]
      >`
        select rule, scope_key, (extract(epoch from ends_at - starts_at) * 1000)::float8 as span_ms, comment, created_by
        from pulsebot.silences where id = ${Number(id)}`;
      expect(row).toEqual({
        rule: 'provider_success_rate',
        scope_key: 'provider=openai',
        span_ms: 2 * 3_600_000,
        comment: 'OpenAI incident <INC-42>',
        created_by: 'ana',
      });
    } finally {
      await db.close();
    }

    const listed = await cli(['list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^ *${id}  provider_success_rate on provider=openai .*\\((?:1 h 59 min|2 h) left\\).* by ana: OpenAI incident`,
        'm',
      ),
    );

    const removed = await cli(['remove', id!]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await cli(['list'])).stdout).toMatch(/^no silences in force/);
    expect((await cli(['list', '--all'])).stdout).toMatch(
      new RegExp(`^ *${id}  provider_success_rate on provider=openai .*\\(removed `, 'm'),
    );
    const again = await cli(['remove', id!]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining(`no silence ${id} in force`)]);
  });

  it('lists Slack silences readably, "until resolved" ones as such, then the acknowledged alerts', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms);
    const iso = (ms: number) => at(ms).toISOString();
    const db = await env.open();
    let hour: string;
    let resolved: string;
    try {
      // Nothing silenced yet, but an alert acknowledged from Slack (and one that has resolved since).
      await db.sql`
        insert into pulsebot.alert_states (rule, scope_key, state, status, updated_at) values
          ('success_rate', 'all', ${db.sql.json({ status: 'firing', episodeId: 'ep-1', firingSince: iso(-40 * 60_000) })}, 'firing', ${at(0)}),
          ('latency_p95', 'provider=openai', ${db.sql.json({ status: 'resolved', episodeId: 'ep-2', firingSince: iso(-90 * 60_000) })}, 'resolved', ${at(0)})`;
      await db.sql`
        insert into pulsebot.alert_actions (action_key, action, outcome, rule, scope_key, episode_id, slack_user_id, slack_user, at) values
          ('k1', 'acknowledge', 'applied', 'success_rate', 'all', 'ep-1', 'U0ALICE', 'alice', ${at(-11 * 60_000)}),
          ('k2', 'acknowledge', 'applied', 'latency_p95', 'provider=openai', 'ep-2', 'U0BOB', 'bob', ${at(-60 * 60_000)})`;
    } finally {
      await db.close();
    }
    const ackLine = `  success_rate on all  by @alice (U0ALICE) at ${iso(-11 * 60_000)}  (firing since ${iso(-40 * 60_000)})`;
    const quiet = await cli(['list']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(
      `no silences in force (pulsebot silence add --rule NAME --for 2h --comment "why")\n\nacknowledged:\n${ackLine}\n`,
    );

    const db2 = await env.open();
    try {
      const hourRows = await db2.sql<{ id: string }[]>`
        insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at)
        values ('latency_p95', 'provider=openai', ${at(-20 * 60_000)}, ${at(40 * 60_000)},
                'Silence 1 h from Slack by @bob (U0BOB)', 'slack:U0BOB', ${at(-20 * 60_000)})
        returning id::text`;
      hour = hourRows[0]!.id;
      const resolvedRows = await db2.sql<{ id: string }[]>`
        insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at, ends_with_episode)
        values ('success_rate', 'all', ${at(-10 * 60_000)}, ${at(7 * 86_400_000 - 10 * 60_000)},
                'Silence until resolved from Slack by @alice (U0ALICE)', 'slack:U0ALICE', ${at(-10 * 60_000)}, 'ep-1')
        returning id::text`;
      resolved = resolvedRows[0]!.id;
    } finally {
      await db2.close();
    }
    const listed = await cli(['list']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ *${hour}  latency_p95 on provider=openai  ${esc(iso(-20 * 60_000))} → ${esc(iso(40 * 60_000))}  \\((?:39|40) min left\\)  by Slack user U0BOB: Silence 1 h from Slack by @bob \\(U0BOB\\)$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^ *${resolved}  success_rate on all  ${esc(iso(-10 * 60_000))} → until the alert resolves \\(at most ${esc(iso(7 * 86_400_000 - 10 * 60_000))}\\)  \\(at most 6 days 23 h left\\)  by Slack user U0ALICE: Silence until resolved from Slack by @alice \\(U0ALICE\\)$`,
        ),
      ),
      '',
      'acknowledged:',
      ackLine,
    ]);
  });
});

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pulsebot silence usage (subprocess)', () => {
  it('rejects bad usage with exit 2, naming the flag, before connecting to any database', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', '--rule', 'success_rate', '--for', '2x', '--comment', 'c'], /--for <duration>.*30m, 2h or 1d/],
      [['add', '--rule', 'success_rate', '--comment', 'c'], /--for or --until/],
      [
        ['add', '--rule', 'success_rate', '--for', '1h', '--until', '2999-01-01T00:00:00Z', '--comment', 'c'],
        /--for and --until/,
      ],
      [
        ['add', '--rule', 'success_rate', '--until', '2001-01-01T00:00:00Z', '--comment', 'c'],
        /--until: 2001-01-01T00:00:00.000Z has passed/,
      ],
      [['add', '--rule', 'success_rate', '--until', 'tomorrow', '--comment', 'c'], /--until <instant>.*ISO 8601/],
      [
        ['add', '--rule', 'no_such_rule', '--for', '1h', '--comment', 'c'],
        /--rule: no rule named "no_such_rule"[\s\S]*rules: cost_vs_baseline/,
      ],
      [['add', '--for', '1h', '--comment', 'c'], /--rule: which rule/],
      [
        ['add', '--rule', 'success_rate', '--scope', 'provider=openai', '--for', '1h', '--comment', 'c'],
        /--scope: rule success_rate is evaluated per all traffic/,
      ],
      [
        ['add', '--rule', 'success_rate', '--scope', 'vendor=openai', '--for', '1h', '--comment', 'c'],
        /--scope <scope>.*provider=openai/,
      ],
      [['add', '--rule', 'success_rate', '--for', '1h'], /--comment/],
      [['remove', 'abc'], /id.*positive whole number/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['silence', ...args], {
        env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
        cwd: tmpdir(),
      });
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 2, expect.stringMatching(message)]);
    }
  });
});
