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
});

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
