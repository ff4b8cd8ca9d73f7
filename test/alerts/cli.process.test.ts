import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TARGETS, freshEnvironment, type FreshEnvironment } from '../support/databases.js';

describe.each(TARGETS)('pulsebot alerts (subprocess, %s, default rules)', (target) => {
  let env: FreshEnvironment;
  let cwd: string;
  let outbox: string;
  beforeAll(async () => {
    env = await freshEnvironment(target);
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-alerts-cli-'));
    outbox = join(cwd, 'outbox');
    // The CLI reads the real clock: 60 calls in the last 10 minutes, 6 failed (90% < 95%).
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
    await env.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });
  const cli = (args: string[]) =>
    runCli(['alerts', ...args], {
      env: { ...env.env, PULSEBOT_OUTBOX_DIR: outbox, SLACK_BOT_TOKEN: '', SMTP_URL: '' },
      cwd,
    });

  it('--dry-run prints every alert and what would be notified, and stores nothing', async () => {
    const r = await cli(['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^success_rate +all +FIRING +90\.0% vs 95\.0%, 60 requests +→ would notify: firing$/m);
    expect(r.stdout).toMatch(/^no_new_rows +all +ok /m);
    expect(r.stdout).toMatch(/would be sent \(dry run: nothing stored, nothing sent\)$/m);
    const db = await env.open();
    try {
      const [n] = await db.sql<{ states: number }[]>`select count(*)::int as states from pulsebot.alert_states`;
      expect(n?.states).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('--once stores the states and delivers the firing alert (file outbox without credentials); a second pass sends nothing new', async () => {
    const first = await cli(['--once']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^success_rate +all +FIRING +90\.0% vs 95\.0%, 60 requests +→ notified: firing$/m);
    expect(first.stdout).toMatch(/1 notification, 2 messages queued; delivered 2/);
    const written = readdirSync(outbox).sort();
    expect(written).toHaveLength(2);
    expect(written.join(' ')).toMatch(/success_rate.*slack.*ai-oncall/);

    const second = await cli(['--once']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^success_rate +all +FIRING /m);
    expect(second.stdout).toMatch(/0 notifications, 0 messages queued$/m);
    expect(readdirSync(outbox)).toHaveLength(2);
  });
});
