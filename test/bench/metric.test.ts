import { describe, expect, it } from 'vitest';
import { evaluate, formatLine, type Metric } from '../../bench/lib/metric.js';
import { median, summarize } from '../../bench/lib/stats.js';

const full: Metric = {
  name: 'refresh.full_refresh_10M',
  unit: 'ms',
  better: 'lower',
  samples: [18_550, 20_720, 19_100],
};
const incremental: Metric = {
  name: 'refresh.incremental_10M',
  unit: 'ms',
  better: 'lower',
  samples: [273.9, 262.8, 266.1, 339.3, 309.8, 258.4, 314.0],
  target: { max: 250 },
  baseline: { metric: 'refresh.full_refresh_10M', ratioTarget: { min: 100 } },
};

describe('stats', () => {
  it('takes the middle sample, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([5, 1, 9])).toEqual({ n: 3, median: 5, min: 1, max: 9 });
  });

  it('refuses no samples and samples that are not numbers', () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, Number.NaN])).toThrow(/not a finite number/);
  });
});

describe('evaluate and formatLine', () => {
  it('prints median, spread, target and ratio to the baseline in one line', () => {
    const [, e] = evaluate([full, incremental]);
    expect(e!.targetMet).toBe(false);
    expect(e!.ratio!.value).toBeCloseTo(19_100 / 273.9, 6);
    expect(formatLine(e!, 26)).toBe(
      'refresh.incremental_10M    median 274 ms  (spread 258–339, n=7)  target ≤ 250 ms: MISSED  ratio 69.7× to refresh.full_refresh_10M (target ≥ 100×: MISSED)',
    );
  });

  it('turns the ratio round for figures where higher is better', () => {
    const none: Metric = { name: 'refresh.inserts_no_capture_10M', unit: 'tps', better: 'higher', samples: [6000] };
    const capture: Metric = {
      name: 'refresh.inserts_pulsebot_capture_10M',
      unit: 'tps',
      better: 'higher',
      samples: [5400],
      baseline: { metric: none.name, ratioTarget: { min: 0.85 } },
    };
    const [, e] = evaluate([none, capture]);
    expect(e!.ratio).toMatchObject({ value: 0.9, met: true });
  });

  it('checks a target on the worst sample when asked to', () => {
    const latency: Metric = {
      name: 'alert-latency.alert_to_slack',
      unit: 's',
      better: 'lower',
      samples: [4, 5, 31],
      target: { max: 30, of: 'worst' },
    };
    const [e] = evaluate([latency]);
    expect(e!.targetMet).toBe(false);
    expect(formatLine(e!, 0)).toContain('target worst ≤ 30 s: MISSED');
  });

  it('prints a symmetric percentage target as ±', () => {
    const [e] = evaluate([
      {
        name: 'refresh.incremental_10M_vs_1M',
        unit: '%',
        better: 'lower',
        samples: [-0.3],
        target: { min: -25, max: 25 },
      },
    ]);
    expect(formatLine(e!, 0)).toBe('refresh.incremental_10M_vs_1M median -0.30%  (n=1)  target within ±25%: met');
  });

  it('refuses a baseline the run did not measure', () => {
    expect(() => evaluate([incremental])).toThrow(/baseline refresh.full_refresh_10M was not measured/);
  });
});
