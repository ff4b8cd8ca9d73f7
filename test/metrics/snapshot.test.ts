import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from '../../src/metrics/health.js';
import { resolvePeriods } from '../../src/metrics/period.js';
import type { ModelMeasures } from '../../src/metrics/queries.js';
import { periodBudget } from '../../src/metrics/budget.js';
import { buildSnapshot, type PeriodData, type SnapshotInput } from '../../src/metrics/snapshot.js';
import { NO_ROW_FLAWS } from '../../src/metrics/data-quality.js';

const NOW = new Date('2026-11-24T09:00:00Z');
const periods = resolvePeriods({ kind: 'day', timeZone: 'UTC', now: NOW });

function m(
  provider: string,
  serviceType: string,
  model: string,
  requests: number,
  successes: number,
  costUsd: number,
  extra: Partial<ModelMeasures> = {},
): ModelMeasures {
  return {
    provider,
    serviceType,
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
    ...extra,
  };
}
const data = (byModel: ModelMeasures[], users = 0): PeriodData => ({
  byModel,
  histograms: new Map(),
  errors: [],
  users: { total: users, byModel: new Map() },
});
const EMPTY = data([]);

function input(over: Partial<SnapshotInput>): SnapshotInput {
  return {
    report: { name: 'daily', topModels: 2 },
    periods,
    current: EMPTY,
    previous: EMPTY,
    sameWeekdayLastWeek: EMPTY,
    baseline: [],
    freshness: {
      newestRowAt: new Date('2026-11-24T08:55:00Z'),
      lastRefreshAt: new Date('2026-11-24T08:58:00Z'),
      futureRows: 0,
    },
    limits: { maxDataAgeMinutes: 30, maxRefreshAgeMinutes: 15 },
    health: DEFAULT_HEALTH,
    monthlyBudgetUsd: null,
    business: { users: [], mrr: { mrrUsd: 0, subscriptions: 0 }, dailyCosts: new Map() },
    now: NOW,
    ...over,
  };
}

describe('snapshot (pure)', () => {
  it('computes KPIs and deltas by hand', () => {
    const s = buildSnapshot(
      input({
        current: data(
          [
            m('openai', 'content', 'gpt-4o', 300, 291, 12, {
              latencySum: 300 * 800,
              latencyCount: 300,
              inputTokens: 1000,
              outputTokens: 500,
            }),
            m('runway', 'video', 'gen-3-alpha', 100, 99, 26, {
              latencySum: 100 * 60_000,
              latencyCount: 100,
              videoSeconds: 800,
            }),
          ],
          55,
        ),
        previous: data(
          [m('openai', 'content', 'gpt-4o', 200, 196, 10), m('runway', 'video', 'gen-3-alpha', 50, 49, 10)],
          50,
        ),
      }),
    );
    const k = s.kpis.current;
    // 400 requests, 390 successes, $38, (240000 + 6000000) / 400 = 15600 ms
    expect(k).toMatchObject({
      requests: 400,
      successfulRequests: 390,
      costUsd: 38,
      activeUsers: 55,
      avgLatencyMs: 15600,
      tokens: 1500,
      videoSeconds: 800,
    });
    expect(k.successRate).toBeCloseTo(0.975, 12);
    // requests 400 vs 250 → +60%; cost 38 vs 20 → +90%; users 55 vs 50 → +10%; success 97.5% vs 98.0% → −0.5 pp
    expect(s.deltas.vsPrevious.requests).toEqual({ kind: 'relative', ratio: 0.6 });
    expect(s.deltas.vsPrevious.costUsd).toEqual({ kind: 'relative', ratio: 0.9 });
    expect(s.deltas.vsPrevious.activeUsers).toEqual({ kind: 'relative', ratio: 0.1 });
    expect(s.deltas.vsPrevious.successRate.kind).toBe('points');
    expect((s.deltas.vsPrevious.successRate as { points: number }).points).toBeCloseTo(-0.5, 9);
    // Operations sorted by cost: runway ($26) before openai ($12).
    expect(s.operations.map((o) => [o.provider, o.requests, o.costUsd])).toEqual([
      ['runway', 100, 26],
      ['openai', 300, 12],
    ]);
    expect(s.operations[0]!.deltas.costUsd).toEqual({ kind: 'relative', ratio: 1.6 });
  });

  it('says "no traffic" for an empty period instead of a fake 0% or NaN', () => {
    const s = buildSnapshot(input({ previous: data([m('openai', 'content', 'gpt-4o', 10, 10, 1)], 3) }));
    expect(s.kpis.current.successRate).toBeNull();
    expect(s.deltas.vsPrevious.requests).toEqual({ kind: 'no-traffic', side: 'current' });
    expect(s.deltas.vsPrevious.successRate).toEqual({ kind: 'no-traffic', side: 'current' });
    expect(s.technical.errorRate).toBeNull();
    expect(JSON.stringify(s)).not.toMatch(/NaN|Infinity/);
  });

  it('lists the top N models by cost and folds the rest into "other"', () => {
    const s = buildSnapshot(
      input({
        current: data([
          m('a', 'content', 'm1', 10, 10, 1),
          m('b', 'content', 'm2', 20, 20, 5),
          m('c', 'images', 'm3', 30, 30, 3),
          m('d', 'video', 'm4', 40, 40, 0.5),
        ]),
      }),
    );
    expect(s.models.top.map((x) => x.model)).toEqual(['m2', 'm3']);
    // other = m1 + m4: 50 requests, $1.50, $0.03 per request
    expect(s.models.other).toMatchObject({ models: 2, requests: 50, costUsd: 1.5, costPerRequest: 0.03 });
  });

  it("gives each day of a period an equal share of its month's budget", () => {
    // $3000 in November (30 days) → $100 a day
    expect(periodBudget(periods.current, 3000)).toBeCloseTo(100, 9);
    // ISO week 2026-W05 runs Mon 26 Jan – Sun 1 Feb: 6 × 3100/31 + 1 × 3100/28 = 600 + 110.71…
    const week = resolvePeriods({ kind: 'week', timeZone: 'UTC', now: new Date('2026-02-03T00:00:00Z') }).current;
    expect(week.label).toBe('2026-W05');
    expect(periodBudget(week, 3100)).toBeCloseTo(600 + 3100 / 28, 9);
    expect(periodBudget(week, null)).toBeNull();
  });

  it('needs two of the four baseline weekdays with traffic for a baseline', () => {
    const cur = data([m('openai', 'content', 'gpt-4o', 10, 10, 30)]);
    const day = (cost: number) => data([m('openai', 'content', 'gpt-4o', 10, 10, cost)]);
    expect(
      buildSnapshot(input({ current: cur, baseline: [day(20), EMPTY, EMPTY, EMPTY] })).budget.baselineUsd,
    ).toBeNull();
    // (20 + 40) / 2 = 30
    expect(buildSnapshot(input({ current: cur, baseline: [day(20), EMPTY, day(40), EMPTY] })).budget.baselineUsd).toBe(
      30,
    );
  });

  it('counts bad rows for data quality', () => {
    const s = buildSnapshot(
      input({
        current: data([
          m('unknown', 'content', 'x', 5, 5, 1, { negativeCostRows: 2, latencyCount: 3 }),
          m('openai', 'audio', 'whisper', 4, 4, 1, { latencyCount: 4 }),
          // 9 requests: 2 without an outcome (7 known, 5 succeeded), 6 usable latencies, 1 negative,
          // 1 over 24 h; so 9 − 6 − 2 = 1 without latency.
          m('openai', 'content', 'unknown', 9, 5, 1, {
            latencyCount: 6,
            nullSuccessRows: 2,
            nullCostRows: 1,
            nonFiniteCostRows: 3,
            nonFiniteVideoRows: 1,
            negativeLatencyRows: 1,
            outlierLatencyRows: 1,
          }),
        ]),
        freshness: { newestRowAt: null, lastRefreshAt: null, futureRows: 7 },
      }),
    );
    expect(s.dataQuality).toEqual({
      negativeCostRows: 2,
      nullCostRows: 1,
      nonFiniteCostRows: 3,
      nullSuccessRows: 2,
      nonFiniteVideoRows: 1,
      negativeLatencyRows: 1,
      outlierLatencyRows: 1,
      nonFiniteLatencyRows: 0,
      nullLatencyRows: 2 + 0 + 1,
      futureRows: 7,
      unknownModelRows: 9,
      unknownServiceTypeRows: 4,
      unknownProviderRows: 5,
      newestRowAgeMinutes: null,
      lastRefreshAgeMinutes: null,
    });
    // 5 + 4 + 5 successes of 5 + 4 + 7 requests with an outcome.
    expect(s.kpis.current.successRate).toBe(14 / 16);
    expect(s.operations.find((o) => o.serviceType === 'content' && o.provider === 'openai')?.successRate).toBe(5 / 7);
  });

  it('copes with a single provider and with 5,000 models', () => {
    const one = buildSnapshot(
      input({
        current: data([m('openai', 'content', 'gpt-4o', 10, 9, 1)]),
        previous: data([m('openai', 'content', 'gpt-4o', 10, 10, 1)]),
      }),
    );
    expect(one.operations).toHaveLength(1);
    expect(one.attribution.successRate!.byProvider).toEqual([{ key: 'openai', change: -10, shareOfChange: 1 }]);
    const many = Array.from({ length: 5000 }, (_, i) =>
      m('p', 'content', `model-${String(i).padStart(4, '0')}`, 1, 1, (i + 1) / 1000),
    );
    const s = buildSnapshot(input({ current: data(many), report: { name: 'daily', topModels: 8 } }));
    // the 8 most expensive are models 4999 … 4992; the other 4,992 cost Σ(1..4992)/1000 = 12,462.528
    expect(s.models.top.map((x) => x.model)).toEqual(Array.from({ length: 8 }, (_, i) => `model-${4999 - i}`));
    expect(s.models.other).toMatchObject({ models: 4992, requests: 4992 });
    expect(s.models.other!.costUsd).toBeCloseTo((4992 * 4993) / 2 / 1000, 6);
  });

  it('attributes the cost change and flags anomalies in the snapshot', () => {
    const day = (cost: number) => data([m('openai', 'content', 'gpt-4o', 100, 99, cost)]);
    const s = buildSnapshot(
      input({
        current: data([m('openai', 'content', 'gpt-4o', 100, 99, 10), m('runway', 'video', 'gen-3-alpha', 10, 10, 40)]),
        previous: day(10),
        baseline: [day(10), day(11), day(9), day(10)],
      }),
    );
    expect(s.attribution.cost.byModel[0]).toEqual({ key: 'runway/gen-3-alpha', change: 40, shareOfChange: 1 });
    expect(s.anomalies.flags.map((f) => f.kpi)).toContain('costUsd');
  });

  it('states the baseline rule it applied, with the periods it used', () => {
    const cur = data([m('openai', 'content', 'gpt-4o', 10, 10, 30)]);
    const day = (requests: number, cost: number) => data([m('openai', 'content', 'gpt-4o', requests, requests, cost)]);
    // Day: 3 of the 4 same weekdays had traffic: (20 + 40 + 60) / 3 = 40 dollars, (10 + 20 + 30) / 3 = 20 requests.
    const s = buildSnapshot(input({ current: cur, baseline: [day(10, 20), EMPTY, day(20, 40), day(30, 60)] }));
    expect(s.budget.baseline).toMatchObject({
      rule: 'same_weekday_mean',
      expectedUsd: 40,
      expectedRequests: 20,
      description: 'mean of the 3 of the last 4 same weekdays that had traffic',
    });
    expect(s.budget.baseline.periods.map((p) => [p.label, p.costUsd, p.used])).toEqual([
      ['2026-11-16', 20, true],
      ['2026-11-09', 0, false],
      ['2026-11-02', 40, true],
      ['2026-10-26', 60, true],
    ]);
    const cost = s.health.components.find((c) => c.key === 'cost')!;
    expect(cost.inputs).toMatchObject({ basis: 'baseline', baselineUsd: 40, baselinePeriodsUsd: [20, 40, 60] });
    // Week: the previous week, whatever the weekdays did.
    const weeks = resolvePeriods({ kind: 'week', timeZone: 'UTC', now: NOW });
    const w = buildSnapshot(input({ periods: weeks, current: cur, previous: day(70, 35), baseline: [] }));
    expect(w.budget.baseline).toMatchObject({
      rule: 'previous_period',
      expectedUsd: 35,
      expectedRequests: 70,
      description: `the previous week (${weeks.previous.label})`,
    });
    expect(w.budget.baselineUsd).toBe(35);
  });

  it('scores a silent day 0 when its baseline had traffic, and says so', () => {
    const day = (requests: number) => data([m('openai', 'content', 'gpt-4o', requests, requests, 1)]);
    const s = buildSnapshot(input({ baseline: [day(100), day(120), day(80), day(100)] }));
    expect(s.kpis.current.requests).toBe(0);
    expect(s.health.score).toBe(0);
    // (100 + 120 + 80 + 100) / 4 = 100 requests expected
    expect(s.health.override).toBe('no traffic at all, where the baseline had 100 requests');
    const success = s.health.components.find((c) => c.key === 'success_rate')!;
    expect(success.inputs).toMatchObject({ requests: 0, expectedRequests: 100 });
    // Without any history there is nothing to compare with: no override.
    expect(buildSnapshot(input({})).health.override).toBeNull();
  });

  it('lists failures without an error code apart from a real code named "unknown", and folds codes past the top 5', () => {
    const err = (errorCode: string | null, failures: number) => ({
      provider: 'openai',
      serviceType: 'content',
      model: 'gpt-4o',
      errorCode,
      failures,
    });
    const cur: PeriodData = {
      ...data([m('openai', 'content', 'gpt-4o', 1000, 900, 1)]),
      errors: [
        err('unknown', 30),
        err(null, 20),
        err('a', 15),
        err('b', 12),
        err('c', 10),
        err('d', 6),
        err('e', 4),
        err('f', 3),
      ],
    };
    const s = buildSnapshot(input({ current: cur }));
    // 100 failures: the top 5 codes, then the 20 without a code, then e + f = 7 in "other".
    expect(s.topErrors).toEqual([
      { errorCode: 'unknown', failures: 30, share: 0.3 },
      { errorCode: 'a', failures: 15, share: 0.15 },
      { errorCode: 'b', failures: 12, share: 0.12 },
      { errorCode: 'c', failures: 10, share: 0.1 },
      { errorCode: 'd', failures: 6, share: 0.06 },
      { errorCode: null, kind: 'no_error_code', failures: 20, share: 0.2 },
      { errorCode: null, kind: 'other', codes: 2, failures: 7, share: 0.07 },
    ]);
    expect(s.topErrors.reduce((n, e) => n + e.failures, 0)).toBe(100);
  });
});
