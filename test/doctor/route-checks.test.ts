import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { routeChecks } from '../../src/doctor/route-checks.js';

const KEY = 'Z9y8X7w6V5u4T3s2R1q0Z9y8X7w6V5u4';
const SECRET = 'a-long-enough-webhook-secret-42';

const config = (routes: Record<string, unknown>, env: Record<string, string>) =>
  parseConfig({ alerts: { rules: { success_rate: { routes } } } }, '(test)', env);

describe('doctor: alert routes', () => {
  it('says nothing when no rule uses PagerDuty or a webhook', async () => {
    expect(await routeChecks(config({ slack: ['#x'] }, {}), {})).toEqual([]);
  });

  it('lists keys and URLs by ref, never the key or the URL path', async () => {
    const env = { K: KEY, PULSEBOT_WEBHOOK_SECRET: SECRET };
    const c = config({ pagerduty: ['${K}'], webhook: ['https://hooks.example.com/T0/token-in-path'] }, env);
    const results = await routeChecks(c, env);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['pagerduty', 'ok'],
      ['webhook', 'ok'],
    ]);
    const text = JSON.stringify(results);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('token-in-path');
    expect(text).not.toContain(SECRET);
    expect(results[0]!.detail).toMatch(
      /^1 integration key: [0-9a-f]{12} \(success_rate\); events to https:\/\/events\.pagerduty\.com/,
    );
    expect(results[1]!.detail).toMatch(
      /^1 URL: https:\/\/hooks\.example\.com \([0-9a-f]{12}\) \(success_rate\); signed with PULSEBOT_WEBHOOK_SECRET$/,
    );
  });

  it('a bad PAGERDUTY_EVENTS_URL, a missing or short secret', async () => {
    const env = { K: KEY, PULSEBOT_WEBHOOK_SECRET: SECRET };
    const c = config({ pagerduty: ['${K}'], webhook: ['https://hooks.example.com/x'] }, env);
    const [pd, hook] = await routeChecks(c, { PAGERDUTY_EVENTS_URL: 'http://proxy.example.com/v2/enqueue' });
    expect(pd).toMatchObject({ name: 'pagerduty', status: 'fail' });
    expect(pd!.detail).toContain('PAGERDUTY_EVENTS_URL must be an https:// URL');
    expect(hook).toMatchObject({ name: 'webhook', status: 'fail' });
    expect(hook!.detail).toContain('PULSEBOT_WEBHOOK_SECRET is not set');
    const [, short] = await routeChecks(c, { PULSEBOT_WEBHOOK_SECRET: 'short' });
    expect(short).toMatchObject({ status: 'warn' });
  });
});
