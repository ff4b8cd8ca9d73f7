import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH, healthScore, type HealthInputs } from '../../src/metrics/health.js';

// The README's worked example; every number below is worked out by hand there.
const EXAMPLE: HealthInputs = {
  successRate: 0.972,
  p95ByService: [
    { serviceType: 'content', p95Ms: 18000, requests: 900 },
    { serviceType: 'images', p95Ms: 15000, requests: 100 },
  ],
  costUsd: 150,
  budgetUsd: null,
  baselineUsd: 100,
  dataAgeMinutes: 10,
  refreshAgeMinutes: 3,
  maxDataAgeMinutes: 30,
  maxRefreshAgeMinutes: 15,
};

const byKey = (r: ReturnType<typeof healthScore>) => Object.fromEntries(r.components.map((c) => [c.key, c]));

describe('health score', () => {
  it('combines the four components as the README example says (80)', () => {
    const r = healthScore(EXAMPLE);
    const c = byKey(r);
    // success: (0.972 − 0.90) / (0.99 − 0.90) = 0.8 → 80
    expect(c.success_rate!.score).toBeCloseTo(80, 9);
    // latency: content 18000 ms vs 15000 → (30000 − 18000) / 15000 = 80; images 15000 ≤ 30000 → 100;
    // by traffic (80 × 900 + 100 × 100) / 1000 = 82
    expect(c.latency!.score).toBeCloseTo(82, 9);
    // cost: 150 / 100 = 1.5 between 1.2 (100) and 2.0 (0) → (2.0 − 1.5) / 0.8 = 62.5
    expect(c.cost!.score).toBeCloseTo(62.5, 9);
    // freshness: max(10/30, 3/15) ≤ 1 → 100
    expect(c.freshness!.score).toBe(100);
    // (40 × 80 + 25 × 82 + 20 × 62.5 + 15 × 100) / 100 = 80
    expect(r.score).toBe(80);
    expect(
      [c.success_rate!.contribution, c.latency!.contribution, c.cost!.contribution, c.freshness!.contribution].map(
        (x) => +x.toFixed(6),
      ),
    ).toEqual([32, 20.5, 12.5, 15]);
    expect(c.latency!.value).toBe(18000); // the service furthest over its target
  });

  it('leaves out a component without data and renormalises the weights', () => {
    const r = healthScore({ ...EXAMPLE, baselineUsd: null });
    expect(byKey(r).cost).toMatchObject({ score: null, contribution: 0, note: 'not enough history' });
    // (40 × 80 + 25 × 82 + 15 × 100) / 80 = 84.375 → 84
    expect(r.score).toBe(84);
  });

  it('prefers a budget over the baseline', () => {
    // 130 of a 100 budget: between 1.0 (100) and 1.5 (0) → (1.5 − 1.3) / 0.5 = 40
    const r = healthScore({ ...EXAMPLE, costUsd: 130, budgetUsd: 100 });
    expect(byKey(r).cost).toMatchObject({ target: 'budget $100.00' });
    expect(byKey(r).cost!.score).toBeCloseTo(40, 9);
  });

  it('scores the clamps: perfect, floor, twice the latency target, stale data', () => {
    const r = healthScore({
      ...EXAMPLE,
      successRate: 0.85,
      p95ByService: [{ serviceType: 'video', p95Ms: 500_000, requests: 5 }],
      costUsd: 90,
      dataAgeMinutes: 150, // 150 / 30 = 5 ≥ 4 → 0
      refreshAgeMinutes: 1,
    });
    const c = byKey(r);
    expect([c.success_rate!.score, c.latency!.score, c.cost!.score, c.freshness!.score]).toEqual([0, 0, 100, 0]);
    // (20 × 100) / 100
    expect(r.score).toBe(20);
  });

  it('a day without traffic and without history has nothing to judge but freshness', () => {
    const r = healthScore({
      ...EXAMPLE,
      successRate: null,
      p95ByService: [],
      costUsd: 0,
      baselineUsd: null,
      requests: 0,
      expectedRequests: null,
    });
    expect(r.score).toBe(100);
    expect(r.override).toBeNull();
    expect(byKey(r).success_rate).toMatchObject({ score: null, note: 'no traffic' });
  });

  it('a silent day where the baseline had traffic scores 0: silence is the incident', () => {
    const r = healthScore({
      ...EXAMPLE,
      successRate: null,
      p95ByService: [],
      costUsd: 0,
      baselineUsd: 100,
      requests: 0,
      expectedRequests: 1234.4,
    });
    expect(r.score).toBe(0);
    expect(r.override).toBe('no traffic at all, where the baseline had 1,234 requests');
    expect(r.components.every((c) => c.contribution === 0)).toBe(true);
  });

  it('carries the inputs of every component as fields', () => {
    const r = healthScore({
      ...EXAMPLE,
      requests: 1000,
      expectedRequests: 950,
      baselinePeriodsUsd: [90, 100, 110, 100],
      baselineRule: 'mean of the same weekday over the last 4 weeks with traffic',
    });
    const c = byKey(r);
    expect(c.success_rate!.inputs).toEqual({
      successRate: 0.972,
      requests: 1000,
      expectedRequests: 950,
      slo: 0.99,
      floor: 0.9,
    });
    // content: (30000 − 18000) / 15000 = 80; images 15000 ≤ 30000 → 100
    expect(c.latency!.inputs).toEqual({
      services: [
        { serviceType: 'content', p95Ms: 18000, targetMs: 15000, requests: 900, score: 80 },
        { serviceType: 'images', p95Ms: 15000, targetMs: 30000, requests: 100, score: 100 },
      ],
    });
    expect(c.cost!.inputs).toEqual({
      costUsd: 150,
      basis: 'baseline',
      budgetUsd: null,
      baselineUsd: 100,
      baselinePeriodsUsd: [90, 100, 110, 100],
      baselineRule: 'mean of the same weekday over the last 4 weeks with traffic',
    });
    // data 10/30 = 0.33 of its limit, refresh 3/15 = 0.2: the data age decides
    expect(c.freshness!.inputs).toEqual({
      dataAgeMinutes: 10,
      refreshAgeMinutes: 3,
      maxDataAgeMinutes: 30,
      maxRefreshAgeMinutes: 15,
      decidedBy: 'data',
    });
    expect(byKey(healthScore({ ...EXAMPLE, refreshAgeMinutes: 12 })).freshness!.inputs).toMatchObject({
      decidedBy: 'refresh', // 12/15 = 0.8 > 10/30
    });
  });

  it('never-refreshed views score freshness 0', () => {
    const r = healthScore({ ...EXAMPLE, refreshAgeMinutes: null });
    expect(byKey(r).freshness).toMatchObject({ score: 0, note: 'never refreshed' });
  });

  it('words each component with the shared formatter', () => {
    const c = byKey(healthScore(EXAMPLE));
    // 0.972 → 97.2%; floor 0.90 → 90.0%; SLO 0.99 → 99.0%.
    expect(c.success_rate).toMatchObject({ note: '97.2% (0 points at 90.0%)', target: 'SLO 99.0%' });
    // Each service's p95 and target share a unit: content 18,000 and 15,000 ms → 18.0 s and 15.0 s;
    // images 15,000 and 30,000 ms → 15.0 s and 30.0 s.
    expect(c.latency).toMatchObject({
      note: 'content p95 18.0 s, images p95 15.0 s',
      target: 'content ≤ 15.0 s, images ≤ 30.0 s',
    });
    // 150 / 100 = 150% of the $100.00 baseline.
    expect(c.cost).toMatchObject({ note: '150% of baseline', target: 'baseline $100.00' });
    expect(c.freshness).toMatchObject({
      note: 'newest row 10 min old, refreshed 3 min ago',
      target: 'data ≤ 30 min, refresh ≤ 15 min',
    });
    // A refresh 20 s ago is "under 1 min", never "0 min".
    expect(byKey(healthScore({ ...EXAMPLE, refreshAgeMinutes: 1 / 3 })).freshness!.note).toBe(
      'newest row 10 min old, refreshed under 1 min ago',
    );
  });

  it('uses the default latency target for an unknown service type', () => {
    // 30000 ms vs the default 20000 → (40000 − 30000) / 20000 = 50
    const r = healthScore({ ...EXAMPLE, p95ByService: [{ serviceType: 'audio', p95Ms: 30000, requests: 10 }] });
    expect(byKey(r).latency!.score).toBeCloseTo(50, 9);
    expect(DEFAULT_HEALTH.latency_p95_ms.default).toBe(20_000);
  });
});
