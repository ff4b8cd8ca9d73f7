import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';

/**
 * Bad PagerDuty and webhook routes from the CLI: exit 2, one line naming the key, before any
 * database is opened, and neither the key, the URL nor the secret printed.
 */

const SHORT_KEY = 'pdShortKey0123456789s3cr3t'; // 26 characters
const TOKEN_URL = 'http://hooks.example.com/services/T0/s3cr3t-token';

let dir: string;
let strayDataDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-route-errors-'));
  mkdirSync(join(dir, 'work'));
  strayDataDir = join(dir, 'stray-data');
});

afterAll(() => {
  const opened = existsSync(strayDataDir);
  rmSync(dir, { recursive: true, force: true });
  if (opened) throw new Error('a run with a bad config opened the embedded database');
});

function cli(name: string, routes: string, env: Record<string, string> = {}): Promise<CliResult> {
  const file = join(dir, name);
  writeFileSync(file, `alerts:\n  rules:\n    success_rate:\n      routes:\n${routes}`);
  return runCli(['--config', file, 'alerts'], {
    cwd: join(dir, 'work'),
    env: { PULSEBOT_DATA_DIR: strayDataDir, PULSEBOT_WEBHOOK_SECRET: '', ...env },
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe.concurrent('alert route errors from the CLI', () => {
  it('a PagerDuty key of the wrong length', async ({ expect }) => {
    const r = await cli('pd.yaml', '        pagerduty: ["${PD_ROUTING_KEY}"]\n', { PD_ROUTING_KEY: SHORT_KEY });
    expect(r.code).toBe(2);
    const [line, ...rest] = lines(r.stderr);
    expect(line).toContain('alerts.rules.success_rate.routes.pagerduty[0]: expected a PagerDuty integration key');
    expect(line).toContain('(the value of ${PD_ROUTING_KEY})');
    expect(rest.filter((l) => !l.startsWith('  '))).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(SHORT_KEY);
  });

  it('an http:// webhook to another host', async ({ expect }) => {
    const r = await cli('http.yaml', `        webhook: ["${TOKEN_URL}"]\n`, {
      PULSEBOT_WEBHOOK_SECRET: 'x'.repeat(32),
    });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toContain(
      'alerts.rules.success_rate.routes.webhook[0]: expected a webhook URL: https://',
    );
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-token');
  });

  it('a webhook without PULSEBOT_WEBHOOK_SECRET', async ({ expect }) => {
    const r = await cli('secret.yaml', '        webhook: ["https://hooks.example.com/pulsebot"]\n');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toContain(
      'alerts.rules.success_rate.routes.webhook: webhooks are signed with PULSEBOT_WEBHOOK_SECRET, which is not set',
    );
  });
});
