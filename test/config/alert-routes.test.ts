import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { pagerdutyEventsUrl } from '../../src/delivery/transports.js';
import { PulsebotError } from '../../src/errors.js';

/** alerts.rules.*.routes.pagerduty and .webhook as the loader reads them. */

const KEY = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6'; // 32 letters and digits
const SECRET = 'a-webhook-secret-0123456789';

function load(routes: Record<string, unknown>, env: Record<string, string> = {}, rule: Record<string, unknown> = {}) {
  return parseConfig({ alerts: { rules: { success_rate: { routes, ...rule } } } }, 'p.yaml', env);
}

function errorOf(fn: () => unknown): PulsebotError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PulsebotError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('PagerDuty routes', () => {
  it('takes keys from the environment and keeps them in the parsed config', () => {
    const config = load({ pagerduty: ['${PD_KEY}'] }, { PD_KEY: KEY });
    expect(config.alerts.rules.success_rate!.routes).toEqual({ slack: [], email: [], pagerduty: [KEY] });
  });

  it('a key that is not 32 letters and digits: named, never shown', () => {
    for (const bad of [KEY.slice(0, 31), `${KEY}0`, `${KEY.slice(0, 31)}-`]) {
      const e = errorOf(() => load({ pagerduty: ['${PD_KEY}'] }, { PD_KEY: bad }));
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toBe(
        'p.yaml: alerts.rules.success_rate.routes.pagerduty[0]: expected a PagerDuty integration key: 32 letters and digits (the "Integration Key" of an Events API v2 integration), given through ${VARIABLE} (the value of ${PD_KEY})',
      );
      expect(`${e.message}${e.hint ?? ''}`).not.toContain(bad);
    }
  });

  it('a key written into the file itself is refused without being repeated', () => {
    const e = errorOf(() => load({ pagerduty: [KEY] }));
    expect(e.message).toMatch(
      /^p\.yaml: alerts\.rules\.success_rate\.routes\.pagerduty\[0\]: a PagerDuty integration key is a secret/,
    );
    expect(`${e.message}${e.hint ?? ''}`).not.toContain(KEY);
  });
});

describe('webhook routes', () => {
  const env = { PULSEBOT_WEBHOOK_SECRET: SECRET };

  it('https anywhere, http only on the loopback interface', () => {
    for (const url of [
      'https://hooks.example.com/pulsebot',
      'http://127.0.0.1:8080/x',
      'http://localhost/x',
      'http://[::1]:9/x',
    ]) {
      expect(load({ webhook: [url] }, env).alerts.rules.success_rate!.routes.webhook).toEqual([url]);
    }
  });

  it('http:// to another host, a user name or password, or not a URL: named, the URL not shown', () => {
    for (const url of [
      'http://hooks.example.com/T0/s3cr3t-path-token',
      'https://user:pw@hooks.example.com/x',
      'ftp://hooks.example.com/x',
      'hooks.example.com/x',
    ]) {
      const e = errorOf(() => load({ webhook: [url] }, env));
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toMatch(
        /^p\.yaml: alerts\.rules\.success_rate\.routes\.webhook\[0\]: expected a webhook URL: https:\/\//,
      );
      expect(e.message).not.toContain(url);
    }
  });

  it('webhook routes without PULSEBOT_WEBHOOK_SECRET: the key is named and the variable too', () => {
    const e = errorOf(() => load({ webhook: ['https://hooks.example.com/x'] }));
    expect(e.message).toBe(
      'p.yaml: alerts.rules.success_rate.routes.webhook: webhooks are signed with PULSEBOT_WEBHOOK_SECRET, which is not set',
    );
    // A disabled rule sends nothing, so needs no secret.
    expect(() => load({ webhook: ['https://hooks.example.com/x'] }, {}, { enabled: false })).not.toThrow();
  });

  it('a rule routed only to PagerDuty or a webhook has somewhere to go', () => {
    expect(() => load({ slack: [], pagerduty: ['${K}'] }, { K: KEY })).not.toThrow();
    expect(() => load({ slack: [], webhook: ['https://h.example.com/'] }, env)).not.toThrow();
  });
});

describe('PAGERDUTY_EVENTS_URL', () => {
  it('https, or http on the loopback interface', () => {
    expect(pagerdutyEventsUrl('https://pd-proxy.example.com/v2/enqueue')).toBe(
      'https://pd-proxy.example.com/v2/enqueue',
    );
    expect(pagerdutyEventsUrl('http://127.0.0.1:9/v2/enqueue')).toBe('http://127.0.0.1:9/v2/enqueue');
    for (const bad of ['http://pd-proxy.example.com/v2/enqueue', 'https://u:p@x.example.com/', 'nope']) {
      const e = errorOf(() => pagerdutyEventsUrl(bad));
      expect(e.code).toBe('ENV_INVALID');
      expect(e.message).not.toContain(bad);
    }
  });
});
