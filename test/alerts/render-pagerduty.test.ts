import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evaluateScope, type Observation } from '../../src/alerts/evaluate.js';
import { buildAlertMessage } from '../../src/alerts/message.js';
import { alertPagerDutyMessages } from '../../src/alerts/render-pagerduty.js';
import { alertWebhookMessages } from '../../src/alerts/render-webhook.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import { step, type AlertNotification, type AlertState } from '../../src/alerts/state-machine.js';
import type { PagerDutyPayload, WebhookPayload } from '../../src/delivery/types.js';
import { at, successRule } from './fixtures.js';

/** The PagerDuty events and webhook messages of one alert's firing, repeat and resolve, built without a database. */

const KEY = 'Q1w2E3r4T5y6U7i8O9p0Q1w2E3r4T5y6';
const URL_1 = 'https://hooks.example.com/a/token-1';

function notifications(rule: NamedAlertRule, scope: string, ticks: Array<[string, Observation]>): AlertNotification[] {
  let state: AlertState | null = null;
  const out: AlertNotification[] = [];
  for (const [t, obs] of ticks) {
    const r = step(state, evaluateScope(rule, scope, obs, at(t)), rule, at(t), false);
    state = r.state;
    if (r.notify) out.push(r.notify);
  }
  return out;
}

const rule = successRule({
  name: 'model_success_rate',
  scope: 'model',
  min_requests: 20,
  repeat_minutes: 60,
  severity: 'warning',
  runbook_url: 'https://runbooks.example.com/model',
});

function episode(model: string) {
  const scope = `model=${model}`;
  return notifications(rule, scope, [
    [
      '2026-03-08T07:00:00Z',
      { value: 0.5, requests: 40, contributors: [{ kind: 'error_code', name: 'timeout', count: 20 }] },
    ],
    ['2026-03-08T08:00:00Z', { value: 0.6, requests: 40 }],
    ['2026-03-08T08:30:00Z', { value: 0.99, requests: 40 }],
  ]).map((n) => buildAlertMessage({ rule, notification: n, dashboardUrl: null }));
}

const opts = { metric: rule.metric, source: 'pulsebot: database analytics' };
const pd = (m: ReturnType<typeof episode>[number]) =>
  alertPagerDutyMessages(m, [KEY], opts).map((x) => x.payload as PagerDutyPayload);

describe('PagerDuty events of an alert', () => {
  it('trigger, nothing for the repeat, resolve with the same dedup_key, after the trigger', () => {
    const [firing, repeat, resolved] = episode('gpt-4o');
    const [trigger] = pd(firing!);
    expect(pd(repeat!)).toEqual([]);
    const [resolve] = pd(resolved!);
    expect(trigger!.event).toMatchObject({
      event_action: 'trigger',
      dedup_key: 'model_success_rate|model=gpt-4o|2026-03-08T07:00:00.000Z',
      payload: { severity: 'warning', component: 'gpt-4o', source: 'pulsebot: database analytics' },
      links: [{ href: 'https://runbooks.example.com/model', text: 'Runbook' }],
    });
    expect(trigger!.event.payload!.group).toBeUndefined();
    expect(trigger!.event.client_url).toBeUndefined();
    expect(resolve!.event).toEqual({ event_action: 'resolve', dedup_key: trigger!.event.dedup_key });
    const [firingRow] = alertPagerDutyMessages(firing!, [KEY], opts);
    expect(resolve!.threadOfKey).toBe(firingRow!.key);
    expect(JSON.stringify([trigger, resolve, firingRow!.key])).not.toContain(KEY);
  });

  it('a model name that makes the episode longer than 255 characters: a hashed dedup_key, a summary of at most 1,024', () => {
    const model = 'm'.repeat(1500);
    const [firing] = episode(model);
    const [trigger] = pd(firing!);
    const id = `model_success_rate|model=${model}|2026-03-08T07:00:00.000Z`;
    expect(trigger!.event.dedup_key).toBe(`pulsebot:sha256:${createHash('sha256').update(id).digest('hex')}`);
    expect([...trigger!.event.payload!.summary].length).toBe(1024);
    expect(trigger!.event.payload!.summary.endsWith('…')).toBe(true);
  });
});

describe('webhook messages of an alert', () => {
  it('one body per notification, repeats and resolves after their firing message', () => {
    const [firing, repeat, resolved] = episode('gpt-4o');
    const rows = [firing!, repeat!, resolved!].map((m) => alertWebhookMessages(m, [URL_1])[0]!);
    const bodies = rows.map((r) => (r.payload as WebhookPayload).body);
    expect(bodies.map((b) => [b.event, b.state, b.value])).toEqual([
      ['firing', 'firing', 0.5],
      ['repeat', 'firing', 0.6],
      ['resolved', 'resolved', 0.99],
    ]);
    expect(rows.map((r) => (r.payload as WebhookPayload).threadOfKey)).toEqual([undefined, rows[0]!.key, rows[0]!.key]);
    expect(JSON.stringify(rows)).not.toContain('token-1');
  });
});
