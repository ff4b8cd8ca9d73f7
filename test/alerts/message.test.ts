import { describe, expect, it } from 'vitest';
import { evaluateScope, type Observation } from '../../src/alerts/evaluate.js';
import { buildAlertMessage } from '../../src/alerts/message.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import { step, type AlertNotification, type AlertState } from '../../src/alerts/state-machine.js';
import { at, successRule } from './fixtures.js';

/** Notifications of a sequence of observations of one scope. */
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

const providerRule = successRule({
  name: 'provider_success_rate',
  scope: 'provider',
  window_minutes: 10,
  min_requests: 20,
  recovery: 0.9,
  repeat_minutes: 60,
  condition: { type: 'threshold', op: '<', value: 0.8 },
  severity: 'warning',
  runbook_url: 'https://runbooks.example.com/provider-down',
});

describe('buildAlertMessage', () => {
  const [firing, repeat, resolved] = notifications(providerRule, 'provider=anthropic', [
    [
      '2026-03-08T07:00:00Z',
      {
        value: 0.62,
        requests: 50,
        contributors: [
          { kind: 'error_code', name: 'timeout', count: 4 },
          { kind: 'error_code', name: 'overloaded', count: 15 },
          { kind: 'model', name: 'claude-sonnet-4', count: 16 },
          { kind: 'model', name: 'claude-haiku-4', count: 3 },
        ],
      },
    ],
    ['2026-03-08T08:00:00Z', { value: 0.7, requests: 60 }],
    ['2026-03-08T08:42:00Z', { value: 0.96, requests: 60 }],
  ]);

  it('firing: what, where, how bad, since when, contributors, links', () => {
    const m = buildAlertMessage({
      rule: providerRule,
      notification: firing!,
      dashboardUrl: 'https://dash.example.com',
    });
    expect(m).toMatchObject({
      key: 'alert:provider_success_rate|provider=anthropic|2026-03-08T07:00:00.000Z:firing',
      kind: 'firing',
      severity: 'warning',
      rule: 'provider_success_rate',
      title: 'Success rate 62.0% below 80.0% — provider anthropic',
      what: 'Success rate over the last 10 min below 80.0%',
      where: { scope: 'provider=anthropic', dimension: 'provider', value: 'anthropic', label: 'provider anthropic' },
      howBad: {
        value: 0.62,
        valueText: '62.0%',
        threshold: 0.8,
        thresholdText: '80.0%',
        comparison: '62.0% < 80.0%',
        requests: 50,
        requestsText: '50',
      },
      since: at('2026-03-08T07:00:00Z'),
      resolved: null,
      links: { dashboard: 'https://dash.example.com', runbook: 'https://runbooks.example.com/provider-down' },
      sparkline: null,
      replyToKey: null,
      updatesKey: null,
    });
    // Error codes first, then models; shares within a kind: 15 of 19 failures, 16 of 19 requests.
    expect(m.contributors.map((c) => c.text)).toEqual([
      'overloaded 15 (79%)',
      'timeout 4 (21%)',
      'claude-sonnet-4 16 (84%)',
      'claude-haiku-4 3 (16%)',
    ]);
    const top1 = buildAlertMessage({
      rule: providerRule,
      notification: firing!,
      dashboardUrl: null,
      maxContributors: 1,
    });
    expect(top1.contributors.map((c) => c.name)).toEqual(['overloaded', 'claude-sonnet-4']);
  });

  it('repeat: says how long it has been firing and replies in the firing message thread', () => {
    const m = buildAlertMessage({ rule: providerRule, notification: repeat!, dashboardUrl: null });
    expect(m.title).toBe('Still firing after 1 h: Success rate 70.0% below 80.0% — provider anthropic');
    expect(m.replyToKey).toBe('alert:provider_success_rate|provider=anthropic|2026-03-08T07:00:00.000Z:firing');
    expect(m.updatesKey).toBeNull();
  });

  it('resolved: how long it lasted, as a reply that also updates the firing message', () => {
    const m = buildAlertMessage({ rule: providerRule, notification: resolved!, dashboardUrl: null });
    expect(m.title).toBe('Resolved after 1 h 42 min: Success rate 96.0% (alert below 80.0%) — provider anthropic');
    expect(m.resolved).toEqual({
      at: at('2026-03-08T08:42:00Z'),
      durationMs: 102 * 60_000,
      durationText: '1 h 42 min',
    });
    expect(m.replyToKey).toBe('alert:provider_success_rate|provider=anthropic|2026-03-08T07:00:00.000Z:firing');
    expect(m.updatesKey).toBe(m.replyToKey);
  });

  it('a change condition says the ratio and the baseline', () => {
    const cost: NamedAlertRule = {
      ...successRule(),
      name: 'cost_vs_baseline',
      metric: 'cost_usd',
      window_minutes: 'today',
      min_requests: 200,
      recovery: 1.3,
      condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 1.5 },
    };
    const [n] = notifications(cost, 'all', [['2026-03-08T15:00:00Z', { value: 812.4, requests: 1500, baseline: 430 }]]);
    const m = buildAlertMessage({
      rule: cost,
      notification: n!,
      dashboardUrl: null,
      series: [{ at: at('2026-03-08T14:00:00Z'), value: 700 }],
    });
    expect(m.title).toBe('Cost $812.40, 1.89× the same weekday over the last 4 weeks — all traffic');
    expect(m.what).toBe('Cost today so far above 1.5× the same weekday over the last 4 weeks');
    expect(m.howBad.comparison).toBe(
      '$812.40 is 1.89× the same weekday over the last 4 weeks ($430.00); alert above 1.5×',
    );
    expect(m.howBad.thresholdText).toBe('$645.00');
    expect(m.sparkline).toEqual([{ at: at('2026-03-08T14:00:00Z'), value: 700 }]);
  });

  it('no data under no_data: alert says so', () => {
    const deadMan: NamedAlertRule = {
      ...successRule(),
      name: 'no_new_rows',
      metric: 'minutes_since_newest_row',
      window_minutes: null,
      min_requests: 0,
      recovery: null,
      condition: { type: 'threshold', op: '>', value: 30 },
      no_data: 'alert',
    };
    const [n] = notifications(deadMan, 'all', [['2026-03-08T07:00:00Z', { value: null, requests: 0 }]]);
    const m = buildAlertMessage({ rule: deadMan, notification: n!, dashboardUrl: null });
    expect(m.title).toBe('Time since the newest api_usage row: no data — all traffic');
    expect(m.what).toBe('Time since the newest api_usage row above 30 min');
    expect(m.howBad.comparison).toBe('no data');
  });

  it('a latency and its threshold are written in one unit, chosen from the larger', () => {
    const slow: NamedAlertRule = {
      ...successRule(),
      name: 'slow',
      metric: 'p95_latency_ms',
      recovery: null,
      condition: { type: 'threshold', op: '>', value: 90_000 },
    };
    const [n] = notifications(slow, 'all', [['2026-03-08T07:00:00Z', { value: 144_265, requests: 500 }]]);
    const m = buildAlertMessage({ rule: slow, notification: n!, dashboardUrl: null });
    // 144,265 ms reads 2.4 min, so the 90,000 ms line reads 1.5 min (not "90.0 s").
    expect(m.howBad.comparison).toBe('2.4 min > 1.5 min');
    expect(m.howBad.valueText).toBe('2.4 min');
  });
});
