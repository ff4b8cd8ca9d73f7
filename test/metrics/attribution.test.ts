import { describe, expect, it } from 'vitest';
import { anomalies } from '../../src/metrics/anomalies.js';
import { attributeCost, attributeSuccessRate } from '../../src/metrics/attribution.js';
import type { ModelMeasures } from '../../src/metrics/queries.js';
import type { Kpis } from '../../src/metrics/kpis.js';
import { NO_ROW_FLAWS } from '../../src/metrics/data-quality.js';

function m(provider: string, model: string, requests: number, successes: number, costUsd: number): ModelMeasures {
  return {
    provider,
    serviceType: 'x',
    model,
    requests,
    successes,
    costUsd,
    inputTokens: 0,
    outputTokens: 0,
    images: 0,
    videoSeconds: 0,
    latencySum: 0,
    latencyCount: 0,
    ...NO_ROW_FLAWS,
  };
}

describe('attribution', () => {
  it('splits a cost increase by provider and model, largest impact first', () => {
    const before = [
      m('runway', 'gen-3-alpha', 10, 10, 5),
      m('openai', 'gpt-4o', 100, 100, 50),
      m('anthropic', 'claude-sonnet-4', 50, 50, 25),
    ];
    const now = [
      m('runway', 'gen-3-alpha', 40, 40, 26),
      m('openai', 'gpt-4o', 100, 100, 56),
      m('anthropic', 'claude-sonnet-4', 40, 40, 24),
    ];
    // total 80 → 106: +26; runway +21 (21/26), openai +6, anthropic −1
    const a = attributeCost(now, before);
    expect(a.totalChange).toBe(26);
    expect(a.byProvider).toEqual([
      { key: 'runway', change: 21, shareOfChange: 21 / 26 },
      { key: 'openai', change: 6, shareOfChange: 6 / 26 },
      { key: 'anthropic', change: -1, shareOfChange: -1 / 26 },
    ]);
    expect(a.byModel[0]).toEqual({ key: 'runway/gen-3-alpha', change: 21, shareOfChange: 21 / 26 });
  });

  it('splits a success-rate drop by the failures of each provider, model and error code', () => {
    // before: 200 requests, 4 failures (2 openai, 2 anthropic) → 98%
    const before = [m('openai', 'gpt-4o', 100, 98, 0), m('anthropic', 'claude-sonnet-4', 100, 98, 0)];
    // now: 200 requests, 14 failures (2 openai, 12 anthropic) → 93%: −5 pp, all of it anthropic
    const now = [m('openai', 'gpt-4o', 100, 98, 0), m('anthropic', 'claude-sonnet-4', 100, 88, 0)];
    const err = (errorCode: string, failures: number) => ({
      provider: 'anthropic',
      serviceType: 'x',
      model: 'claude-sonnet-4',
      errorCode,
      failures,
    });
    const a = attributeSuccessRate(now, before, [err('overloaded', 10), err('timeout', 4)], [err('timeout', 4)])!;
    expect(a.totalChange).toBeCloseTo(-5, 12);
    expect(a.byProvider).toHaveLength(1); // openai's failures did not change: it contributes nothing
    expect(a.byProvider[0]!.key).toBe('anthropic');
    expect(a.byProvider[0]!.change).toBeCloseTo(-5, 12);
    expect(a.byProvider[0]!.shareOfChange).toBeCloseTo(1, 12);
    // overloaded 0 → 10 of 200 requests: −5 pp; timeout unchanged
    expect(a.byErrorCode!.map((c) => [c.key, +c.change.toFixed(9)])).toEqual([['overloaded', -5]]);
  });

  it('ends a list past its top N with "other", so the entries add up to the total change', () => {
    // Seven providers, each one model: cost changes +10, −8, +6, +5, −4, +3, +1 → total +13.
    const changes = [10, -8, 6, 5, -4, 3, 1];
    const before = changes.map((_, i) => m(`p${i}`, `m${i}`, 10, 10, 20));
    const now = changes.map((c, i) => m(`p${i}`, `m${i}`, 10, 10, 20 + c));
    const a = attributeCost(now, before);
    expect(a.totalChange).toBeCloseTo(13, 12);
    // Top 5 by size: p0 +10, p1 −8, p2 +6, p3 +5, p4 −4; other: p5 + p6 = +4.
    expect(a.byProvider.map((c) => c.key)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'other']);
    expect(a.byProvider[5]).toMatchObject({ key: 'other', kind: 'other', segments: 2 });
    expect(a.byProvider[5]!.change).toBeCloseTo(4, 12);
    expect(a.byProvider.reduce((n, c) => n + c.change, 0)).toBe(a.totalChange);
    expect(a.byModel.reduce((n, c) => n + c.change, 0)).toBe(a.totalChange);
    // Five or fewer: no "other".
    expect(attributeCost(now.slice(0, 5), before.slice(0, 5)).byProvider.map((c) => c.key)).not.toContain('other');
  });

  it('keeps failures without an error code apart from a code named "unknown", and adds up', () => {
    // 200 requests both days. Before: 2 "unknown", 2 without a code (98%). Now: 2 "unknown",
    // 10 without a code, 6 timeouts (91%): −7 pp = −4 pp (no code) −3 pp (timeout).
    const before = [m('openai', 'gpt-4o', 200, 196, 0)];
    const now = [m('openai', 'gpt-4o', 200, 182, 0)];
    const err = (errorCode: string | null, failures: number) => ({
      provider: 'openai',
      serviceType: 'x',
      model: 'gpt-4o',
      errorCode,
      failures,
    });
    const a = attributeSuccessRate(
      now,
      before,
      [err('unknown', 2), err(null, 10), err('timeout', 6)],
      [err('unknown', 2), err(null, 2)],
    )!;
    expect(a.totalChange).toBeCloseTo(-7, 12);
    expect(a.byErrorCode!.map((c) => [c.key, c.kind ?? null, +c.change.toFixed(9)])).toEqual([
      ['(no error code)', 'no_error_code', -4],
      ['timeout', null, -3],
    ]);
    expect(a.byErrorCode!.reduce((n, c) => n + c.change, 0)).toBeCloseTo(a.totalChange, 12);
  });

  it('has nothing to attribute when a side had no traffic', () => {
    expect(attributeSuccessRate([], [m('a', 'b', 1, 1, 0)], [], [])).toBeNull();
    expect(attributeCost([], []).byProvider).toEqual([]);
  });
});

const k = (over: Partial<Kpis>): Kpis => ({
  requests: 1000,
  successfulRequests: 980,
  successRate: 0.98,
  costUsd: 100,
  activeUsers: 50,
  avgLatencyMs: 1000,
  p95LatencyMs: 3000,
  tokens: 0,
  images: 0,
  videoSeconds: 0,
  ...over,
});

describe('anomaly flags', () => {
  const history = [k({ costUsd: 100 }), k({ costUsd: 104 }), k({ costUsd: 96 }), k({ costUsd: 100 })];

  it('flags a KPI far outside the same weekday of the last four weeks', () => {
    // cost: mean 100, sample sd √((0 + 16 + 16 + 0) / 3) = 3.266; 150 is 15.3 sd away and > 10% of the mean
    const r = anomalies(k({ costUsd: 150 }), history);
    expect(r.comparableWeeks).toBe(4);
    expect(r.flags).toHaveLength(1);
    expect(r.flags[0]).toMatchObject({ kpi: 'costUsd', value: 150, mean: 100, direction: 'high' });
    expect(r.flags[0]!.stddev).toBeCloseTo(Math.sqrt(32 / 3), 12);
    expect(r.flags[0]!.deviations).toBeCloseTo(50 / Math.sqrt(32 / 3), 9);
  });

  it('does not flag small moves of a very steady KPI (the floor), nor without enough history', () => {
    // requests identical every week (sd 0): 1050 is within 10% of 1000 → no flag
    expect(anomalies(k({ requests: 1050 }), history).flags).toEqual([]);
    // success rate 0.975 vs a steady 0.98: 0.5 pp is inside the 1 pp floor
    expect(anomalies(k({ successRate: 0.975 }), history).flags).toEqual([]);
    expect(anomalies(k({ successRate: 0.95 }), history).flags.map((f) => [f.kpi, f.direction])).toEqual([
      ['successRate', 'low'],
    ]);
    // two weeks of history only
    expect(anomalies(k({ costUsd: 500 }), history.slice(0, 2))).toEqual({ flags: [], comparableWeeks: 2 });
    // weeks without traffic do not count
    expect(
      anomalies(k({ costUsd: 500 }), [...history.slice(0, 2), k({ requests: 0 }), k({ requests: 0 })]).flags,
    ).toEqual([]);
  });
});
