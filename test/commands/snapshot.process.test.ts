import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';

describe('pulsebot snapshot (subprocess, embedded database)', () => {
  let env: FreshEnvironment;
  let cwd: string;
  beforeAll(async () => {
    env = await freshEnvironment('pglite');
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-snapshot-'));
    expect((await runCli(['seed-demo', '--days', '3', '--rows-per-day', '300'], { env: env.env, cwd })).code).toBe(0);
  });
  afterAll(async () => {
    await env.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints the snapshot as JSON for machines', async () => {
    const r = await runCli(['snapshot', '--json'], { env: env.env, cwd });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.report).toEqual({ name: 'daily', period: 'day', timeZone: 'UTC' });
    expect(s.kpis.current.requests).toBeGreaterThan(100);
    expect(s.health.score).toBeGreaterThan(50);
  });

  it('prints a table for people', async () => {
    const r = await runCli(['snapshot'], { env: env.env, cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^daily report · \d{4}-\d{2}-\d{2} \(UTC, 24 h\) · health \d+\/100/);
    expect(r.stdout).toMatch(/^success rate +\d+\.\d%/m);
  });

  it('rejects an impossible date, a day not over yet and an unknown report with exit 2', async () => {
    const bad = await runCli(['snapshot', '--date', '2026-02-30'], { env: env.env, cwd });
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--date.*28 days/)]);
    const future = await runCli(['snapshot', '--date', '2999-01-01'], { env: env.env, cwd });
    expect([future.code, future.stderr]).toEqual([2, expect.stringMatching(/2999-01-01/)]);
    const unknown = await runCli(['snapshot', '--report', 'hourly'], { env: env.env, cwd });
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      expect.stringMatching(/no report named "hourly".*\n.*daily, weekly/),
    ]);
  });
});
