import { describe, expect, it } from 'vitest';
import { evaluateScope } from '../../src/alerts/evaluate.js';
import { syntheticBreach, syntheticRecovery } from '../../src/alerts/preview-values.js';
import type { AlertCondition, AlertMetric, NamedAlertRule } from '../../src/alerts/rules.js';
import { at, successRule } from './fixtures.js';

const NOW = at('2026-03-08T06:59:00Z');

function rule(metric: AlertMetric, condition: AlertCondition, extra: Partial<NamedAlertRule> = {}): NamedAlertRule {
  return successRule({
    name: `${metric}_${condition.type}_${condition.op}`,
    metric,
    condition,
    recovery: null,
    ...extra,
  });
}

/** Whether `value` lies past `line` on the side `op` breaches. */
const pastOn = (op: '<' | '>', value: number, line: number) => (op === '<' ? value < line : value > line);

describe('a synthetic breach lies just past the threshold, on the breaching side', () => {
  const thresholds: Array<[AlertMetric, '<' | '>', number]> = [
    ['success_rate', '<', 0.95],
    ['success_rate', '<', 0.005],
    ['error_rate', '>', 0.05],
    ['error_rate', '>', 0.999],
    ['cost_usd', '>', 250],
    ['cost_usd', '<', 1],
    ['requests', '<', 100],
    ['requests', '>', 10_000],
    ['p95_latency_ms', '>', 8000],
    ['minutes_since_newest_row', '>', 30],
    ['refresh_age_minutes', '>', 10],
    ['delivery_failures', '>', 0],
  ];
  it.each(thresholds)('threshold: %s %s %s', (metric, op, value) => {
    const r = rule(metric, { type: 'threshold', op, value }, { min_requests: 50 });
    const obs = syntheticBreach(r, null);
    expect(obs.value).not.toBeNull();
    expect(pastOn(op, obs.value!, value)).toBe(true);
    // Just past: 1 pp for rates; otherwise within 10% of the line or one unit of it.
    const rate = metric === 'success_rate' || metric === 'error_rate';
    expect(Math.abs(obs.value! - value)).toBeLessThanOrEqual((rate ? 0.01 : Math.max(Math.abs(value) * 0.1, 1)) + 1e-9);
    // The volume floor would otherwise keep the rule from judging.
    expect(obs.requests).toBeGreaterThanOrEqual(50);
    expect(evaluateScope(r, 'all', obs, NOW).status).toBe('breach');
  });

  it('rates stay fractions and counts whole numbers', () => {
    expect(syntheticBreach(rule('success_rate', { type: 'threshold', op: '<', value: 0.95 }), null).value).toBeCloseTo(
      0.94,
      10,
    );
    expect(syntheticBreach(rule('error_rate', { type: 'threshold', op: '>', value: 0.999 }), null).value).toBe(1);
    expect(syntheticBreach(rule('delivery_failures', { type: 'threshold', op: '>', value: 0 }), null).value).toBe(1);
    expect(syntheticBreach(rule('requests', { type: 'threshold', op: '<', value: 100 }), null).value).toBe(90);
    expect(
      syntheticBreach(rule('minutes_since_newest_row', { type: 'threshold', op: '>', value: 30 }), null).value,
    ).toBe(33);
  });

  const changes: Array<[AlertMetric, '<' | '>', number]> = [
    ['cost_usd', '>', 1.5],
    ['p95_latency_ms', '>', 2],
    ['requests', '<', 0.5],
    ['success_rate', '<', 0.9],
  ];
  it.each(changes)('change: %s %s %s× the baseline, with the observed baseline', (metric, op, ratio) => {
    const r = rule(metric, { type: 'change', vs: 'baseline_4w', op, ratio });
    const base = metric === 'success_rate' ? 0.98 : 40;
    const obs = syntheticBreach(r, { value: base, requests: 500, baseline: base });
    expect(obs.baseline).toBe(base);
    expect(obs.requests).toBe(500);
    expect(pastOn(op, obs.value!, ratio * base)).toBe(true);
    expect(evaluateScope(r, 'all', obs, NOW).status).toBe('breach');
  });

  it('change without a usable baseline: a positive made-up one, still past ratio × baseline', () => {
    const r = rule('cost_usd', { type: 'change', vs: 'same_weekday', op: '>', ratio: 1.5 });
    for (const observed of [
      null,
      { value: null, requests: 0, baseline: null },
      { value: 0, requests: 3, baseline: 0 },
    ]) {
      const obs = syntheticBreach(r, observed);
      expect(obs.baseline).toBeGreaterThan(0);
      expect(obs.value!).toBeGreaterThan(1.5 * obs.baseline!);
      expect(evaluateScope(r, 'all', obs, NOW).status).toBe('breach');
    }
  });
});

describe('a synthetic recovery lies past the recovery line, on the healthy side', () => {
  it('threshold with a recovery: at or past it', () => {
    const r = rule('success_rate', { type: 'threshold', op: '<', value: 0.95 }, { recovery: 0.97 });
    const obs = syntheticRecovery(r, null);
    expect(obs.value!).toBeGreaterThanOrEqual(0.97);
    expect(obs.value!).toBeLessThanOrEqual(1);
    expect(evaluateScope(r, 'all', obs, NOW)).toMatchObject({ status: 'ok', recovered: true });
  });

  it('threshold without one: on the healthy side of the threshold, inside the metric (no negative failures)', () => {
    const r = rule('delivery_failures', { type: 'threshold', op: '>', value: 0 });
    const obs = syntheticRecovery(r, null);
    expect(obs.value).toBe(0);
    expect(evaluateScope(r, 'all', obs, NOW)).toMatchObject({ status: 'ok', recovered: true });
  });

  it('change: past recovery × baseline', () => {
    const r = rule('cost_usd', { type: 'change', vs: 'baseline_4w', op: '>', ratio: 1.5 }, { recovery: 1.3 });
    const obs = syntheticRecovery(r, { value: 90, requests: 400, baseline: 60 });
    expect(obs.value!).toBeLessThanOrEqual(1.3 * 60);
    expect(evaluateScope(r, 'all', obs, NOW)).toMatchObject({ status: 'ok', recovered: true });
  });
});
