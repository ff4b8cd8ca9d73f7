import { describe, expect, it } from 'vitest';
import { outsideNormal, poissonTail, verdict, type VerdictInput } from '../../src/metrics/verdict.js';

const calm: VerdictInput = {
  comparedWith: 'the usual Tuesday',
  rule: 'spread',
  requests: { value: 1000, history: [1000, 1040, 960, 1000] },
  costUsd: { value: 50, history: [50, 52, 48, 50] },
  activeUsers: { value: 100, history: [100, 104, 96, 100] },
  successRate: { value: 0.993, history: [0.993, 0.992, 0.994, 0.993], requests: 1000 },
  providers: [
    { name: 'openai', requests: 600, outcomes: 600, failures: 3, value: 0.995, history: [0.995, 0.994, 0.996, 0.995] },
    { name: 'anthropic', requests: 400, outcomes: 400, failures: 4, value: 0.99, history: [0.99, 0.989, 0.991, 0.99] },
  ],
  services: [{ name: 'content', requests: 1000, targetMs: 15_000, value: 4000, history: [4000, 4100, 3900, 4000] }],
  successFloor: 0.9,
  silence: null,
  freshness: { dataAgeMinutes: 5, refreshAgeMinutes: 3, maxData: 30, maxRefresh: 15 },
};

describe('outsideNormal', () => {
  it('spread: 0 inside 3 standard deviations or inside the floor, the signed distance outside both', () => {
    // history 1000, 1040, 960, 1000: mean 1000, sample sd √(3200/3) = 32.66, 3 sd = 97.98
    const h = [1000, 1040, 960, 1000];
    expect(outsideNormal(1090, h, 100, 'spread')).toBe(0); // inside the floor of 100
    expect(outsideNormal(1099, h, 50, 'spread')).toBe(99); // outside both
    expect(outsideNormal(1097, h, 50, 'spread')).toBe(0); // inside 3 sd
    expect(outsideNormal(880, h, 100, 'spread')).toBe(-120);
  });

  it('spread needs 3 periods; threshold takes one and twice the floor; nothing without history', () => {
    expect(outsideNormal(5000, [1000, 1000], 100, 'spread')).toBe(0);
    expect(outsideNormal(1150, [1000], 100, 'threshold')).toBe(0);
    expect(outsideNormal(1250, [1000], 100, 'threshold')).toBe(250);
    expect(outsideNormal(5000, [], 100, 'threshold')).toBe(0);
    expect(outsideNormal(null, [1000, 1000, 1000], 1, 'spread')).toBe(0);
  });
});

describe('poissonTail', () => {
  it('is P(X >= k) for a Poisson count, worked out by hand', () => {
    // λ = 2: P(0) = e^-2 = 0.135335, P(1) = 0.270671, P(2) = 0.270671 → P(X >= 3) = 0.323324
    expect(poissonTail(3, 2)).toBeCloseTo(0.323324, 5);
    expect(poissonTail(0, 2)).toBe(1);
    // 6 failures where 2.2 are usual: P(X >= 6) = 0.0249 (about one day in 40)
    expect(poissonTail(6, 2.2)).toBeCloseTo(0.02494, 4);
    // 32 where 4 are usual: far below 1e-10; large counts do not underflow to NaN
    expect(poissonTail(32, 4)).toBeLessThan(1e-10);
    expect(poissonTail(20_000, 10_000)).toBe(0);
  });
});

describe('verdict', () => {
  it('an ordinary day is "All normal" with every tone neutral', () => {
    const v = verdict(calm);
    expect(v).toMatchObject({ status: 'normal', headline: 'All normal', items: [] });
    expect(v.tones).toEqual({
      requests: 'neutral',
      costUsd: 'neutral',
      activeUsers: 'neutral',
      successRate: 'neutral',
      p95ByService: { content: 'neutral' },
    });
  });

  it('a quieter day inside the usual spread stays neutral; a real drop is named, with its segment', () => {
    // 7% fewer requests than a steady history is news only past 3 sd and 10%.
    const quieter = verdict({ ...calm, requests: { value: 930, history: [1000, 1040, 960, 1000] } });
    expect(quieter.status).toBe('normal');
    expect(quieter.tones.requests).toBe('neutral');
    // anthropic 94.1% (376 of 400) against a usual 99.0%: −4.9 pp, 24 failures where 4 are usual.
    const outage = verdict({
      ...calm,
      providers: [calm.providers[0]!, { ...calm.providers[1]!, value: 0.94, failures: 24 }],
    });
    expect(outage.status).toBe('attention');
    expect(outage.headline).toBe('1 thing needs attention');
    expect(outage.items).toEqual([
      {
        kind: 'success_rate',
        segment: 'anthropic',
        text: 'anthropic success 94.0% (−5.0 pp vs the usual Tuesday)',
        short: 'anthropic success 94.0%',
      },
    ]);
  });

  it('latency counts per service type, only past its target or at twice it', () => {
    // 6 s against a usual 4 s: far outside the spread, but under the 15 s target: neutral item-wise.
    const slower = verdict({ ...calm, services: [{ ...calm.services[0]!, value: 6000 }] });
    expect(slower.items).toEqual([]);
    expect(slower.tones.p95ByService.content).toBe('bad');
    const late = verdict({ ...calm, services: [{ ...calm.services[0]!, value: 31_000 }] });
    expect(late.items.map((i) => [i.kind, i.segment])).toEqual([['latency', 'content']]);
  });

  it('names silence, cost spikes, traffic drops and stale data', () => {
    const v = verdict({
      ...calm,
      costUsd: { value: 80, history: [50, 52, 48, 50] },
      requests: { value: 500, history: [1000, 1040, 960, 1000] },
      freshness: { dataAgeMinutes: 95, refreshAgeMinutes: 2, maxData: 30, maxRefresh: 15 },
    });
    expect(v.items.map((i) => i.text)).toEqual([
      'cost $80.00 (+60.0% vs the usual Tuesday)',
      'requests 500 (−50.0% vs the usual Tuesday)',
      'newest row 95 min old (limit 30 min)',
    ]);
    expect(v.headline).toBe('3 things need attention');
    expect(v.tones).toMatchObject({ costUsd: 'bad', requests: 'bad' });
    const silent = verdict({
      ...calm,
      requests: { value: 0, history: [1000, 1040, 960, 1000] },
      silence: { expectedRequests: 1000 },
      providers: [],
      services: [],
    });
    expect(silent.items[0]).toEqual({
      kind: 'silence',
      segment: null,
      text: 'no requests at all (the usual Tuesday had 1,000)',
      short: 'no requests at all',
    });
    // The drop to zero is the silence, not a second item.
    expect(silent.items.filter((i) => i.kind === 'traffic')).toEqual([]);
  });

  it('a database where no row ever arrived, or that was never refreshed, needs attention', () => {
    const none = verdict({ ...calm, freshness: { ...calm.freshness, dataAgeMinutes: null } });
    expect(none.items.map((i) => [i.text, i.short])).toEqual([['no usage data has arrived', 'no usage data']]);
    const never = verdict({ ...calm, freshness: { ...calm.freshness, refreshAgeMinutes: null } });
    expect(never.items.map((i) => i.text)).toEqual(['the rollups were never refreshed']);
    // 20 min since the last refresh against a 15 min limit.
    const late = verdict({ ...calm, freshness: { ...calm.freshness, refreshAgeMinutes: 20 } });
    expect(late.items.map((i) => i.text)).toEqual(['last refresh 20 min ago (limit 15 min)']);
  });

  it('a provider is named only when chance cannot explain its failures', () => {
    // 6 failures of 319 (98.1%) where 0.7% (2.2 failures) are usual: 1.2 pp down, yet one day in 40.
    const unlucky = verdict({
      ...calm,
      providers: [
        {
          name: 'anthropic',
          requests: 319,
          outcomes: 319,
          failures: 6,
          value: 313 / 319,
          history: [0.993, 0.994, 0.992, 0.993],
        },
      ],
    });
    expect(unlucky.items).toEqual([]);
    // 12 requests: not judged at all.
    const tiny = verdict({
      ...calm,
      providers: [{ name: 'runway', requests: 12, outcomes: 12, failures: 6, value: 0.5, history: [1, 1, 1, 1] }],
    });
    expect(tiny.items).toEqual([]);
    // Below the 90% floor with no history at all: named.
    const fresh = verdict({
      ...calm,
      providers: [{ name: 'luma', requests: 200, outcomes: 200, failures: 30, value: 0.85, history: [] }],
    });
    expect(fresh.items.map((i) => i.text)).toEqual(['luma success 85.0%']);
  });

  it('with only 2 same weekdays, a provider is still named when chance cannot explain its drop', () => {
    // The demo's outage day: 32 failures of 509 where 0.7% (3.6) are usual.
    const p = {
      name: 'anthropic',
      requests: 509,
      outcomes: 509,
      failures: 32,
      value: 477 / 509,
      history: [0.993, 0.993],
    };
    const v = verdict({ ...calm, providers: [p] });
    expect(v.items.map((i) => i.segment)).toEqual(['anthropic']);
    // The same history with 6 failures: 1.1 pp down, but chance explains it (P = 0.15).
    expect(verdict({ ...calm, providers: [{ ...p, failures: 6, value: 503 / 509 }] }).items).toEqual([]);
  });

  it('a week is judged against the previous one at twice the floor', () => {
    const week: VerdictInput = { ...calm, comparedWith: 'the previous week', rule: 'threshold' };
    // cost 50 → 61: +22%, past 2 × 10%
    const v = verdict({ ...week, costUsd: { value: 61, history: [50] } });
    expect(v.items.map((i) => i.text)).toEqual(['cost $61.00 (+22.0% vs the previous week)']);
    expect(verdict({ ...week, costUsd: { value: 59, history: [50] } }).items).toEqual([]);
  });
});
