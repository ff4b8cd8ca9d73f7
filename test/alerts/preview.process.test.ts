import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TARGETS, freshEnvironment, type FreshEnvironment } from '../support/databases.js';

/** The rules enabled without a config (src/alerts/default-rules.ts), written out so a change there shows here. */
const DEFAULT_RULES = [
  'cost_vs_baseline',
  'delivery_failures',
  'no_new_rows',
  'p95_latency',
  'provider_success_rate',
  'refresh_stale',
  'success_rate',
];

describe.each(TARGETS)('pulsebot alerts --preview (subprocess, %s, demo data)', (target) => {
  let env: FreshEnvironment;
  let cwd: string;
  let base: Record<string, string>;
  beforeAll(async () => {
    env = await freshEnvironment(target);
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-alerts-preview-'));
    base = { ...env.env, PULSEBOT_OUTBOX_DIR: join(cwd, 'outbox'), SLACK_BOT_TOKEN: '', SMTP_URL: '' };
    const seeded = await runCli(['seed-demo', '--days', '3', '--rows-per-day', '300'], { env: base, cwd });
    expect(seeded.code, seeded.stderr).toBe(0);
    // The CLI reads the real clock: 60 calls in the last 9 minutes, 6 failed, so success_rate
    // breaches now (the demo's few calls of the same minutes cannot lift it to 95%).
    const db = await env.open();
    try {
      await db.sql`
        insert into public.api_usage (created_at, provider, service_type, model, cost_usd, latency_ms, success, error_code)
        select now() - (g * interval '9 seconds'), 'openai', 'content', 'gpt-4o-mini', 0.01, 700, g > 6, case when g <= 6 then 'overloaded' end
        from generate_series(1, 60) g`;
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await env?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli(['alerts', ...args], { env: base, cwd });
  const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

  it('writes the firing and resolved Slack JSON and email of every enabled rule, and stores and sends nothing', async () => {
    const out = join(cwd, 'all');
    const r = await cli(['--preview', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(out, 'index.html'));
    expect(r.stdout).toMatch(/^success_rate +breaching now$/m);

    const index = read(out, 'index.html');
    for (const rule of DEFAULT_RULES) {
      for (const kind of ['firing', 'resolved']) {
        const stem = `${rule}-${kind}`;
        const slack = JSON.parse(read(out, `${stem}.slack.json`));
        expect(Array.isArray(slack.blocks), stem).toBe(true);
        expect(slack.blocks.length, stem).toBeGreaterThan(0);
        expect(slack.text, stem).toEqual(expect.any(String));
        expect(read(out, `${stem}.email.html`), stem).toContain(rule);
        expect(read(out, `${stem}.email.txt`), stem).toContain(rule);
      }
      expect(index).toContain(`id="${rule}"`);
    }

    // success_rate breaches in the data: its firing message is the data's, unlabelled, and says where it stands.
    const firing = JSON.parse(read(out, 'success_rate-firing.slack.json'));
    expect(firing.channel).toBe('#ai-oncall');
    expect(firing.text).not.toContain('synthetic');
    const rate = Number(/Success rate (\d+\.\d)% below 95\.0%/.exec(firing.text)?.[1]);
    expect(rate).toBeGreaterThan(80);
    expect(rate).toBeLessThan(95);
    expect(firing.blocks.map((b: { text?: { text?: string } }) => b.text?.text ?? '').join('\n')).toContain(
      'overloaded',
    );
    // The others do not breach: a labelled synthetic breach, and the resolve replies in the firing thread.
    const provider = JSON.parse(read(out, 'provider_success_rate-firing.slack.json'));
    expect(provider.text).toContain('[preview: synthetic breach]');
    expect(provider.text).toMatch(/below 80\.0% — provider \S+/);
    const resolved = JSON.parse(read(out, 'success_rate-resolved.slack.json'));
    expect(resolved.threadOfKey).toMatch(/^alert:success_rate\|all\|.*:firing:slack:#ai-oncall$/);
    expect(resolved.updateOfKey.blocks.length).toBeGreaterThan(0);
    expect(read(out, 'success_rate-firing.email.html')).toContain('success_rate-firing.sparkline.png');
    expect(existsSync(join(out, 'success_rate-firing.sparkline.png'))).toBe(true);

    const db = await env.open();
    try {
      const [n] = await db.sql<{ outbox: number; states: number; events: number }[]>`
        select (select count(*)::int from pulsebot.outbox) as outbox,
               (select count(*)::int from pulsebot.alert_states) as states,
               (select count(*)::int from pulsebot.alert_events) as events`;
      expect(n).toEqual({ outbox: 0, states: 0, events: 0 });
    } finally {
      await db.close();
    }
    // Nor written to the file outbox, where messages go without credentials.
    expect(existsSync(join(cwd, 'outbox'))).toBe(false);
  });

  it('--rule previews that rule only', async () => {
    const out = join(cwd, 'one');
    const r = await cli(['--preview', '--rule', 'no_new_rows', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.slack.json'))
        .sort(),
    ).toEqual(['no_new_rows-firing.slack.json', 'no_new_rows-resolved.slack.json']);
  });

  it('an unknown rule is exit 2, naming the configured rules, and writes nothing', async () => {
    const out = join(cwd, 'none');
    const r = await cli(['--preview', '--rule', 'nope', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no alert rule named "nope"');
    for (const rule of DEFAULT_RULES) expect(r.stderr).toContain(rule);
    expect(existsSync(out)).toBe(false);
  });

  it('--preview without --out, or --out without --preview, is exit 2', async () => {
    const a = await cli(['--preview']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--preview needs --out DIR');
    const b = await cli(['--out', join(cwd, 'x')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--out goes with --preview');
  });
});
