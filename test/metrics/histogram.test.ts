import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/demo/random.js';
import { binOf, binValue, mergeHistograms, quantile } from '../../src/metrics/histogram.js';

/** percentile_cont, written out: linear interpolation between the sorted values around q × (n − 1). */
function exactQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = q * (s.length - 1);
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

function histogramOf(values: number[]) {
  return mergeHistograms([{ bins: values.map(binOf), counts: values.map(() => 1) }]);
}

describe('latency histogram', () => {
  it('reads every value back within 1%', () => {
    for (const v of [1, 2, 3, 10, 99, 100, 101, 999, 1000, 12_345, 180_000, 3_600_000]) {
      expect(Math.abs(binValue(binOf(v)) - v) / v, String(v)).toBeLessThanOrEqual(0.0095 + 1e-12);
    }
    expect(binValue(binOf(0))).toBe(0);
  });

  it('gives every percentile within 1% of percentile_cont on random heavy-tailed samples', () => {
    const rng = new Rng('histogram');
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(1, 400);
      const values = Array.from({ length: n }, () => Math.round(rng.logNormal(1500, 1.2)));
      const h = histogramOf(values);
      for (const q of [0, 0.5, 0.9, 0.95, 0.99, 1]) {
        const exact = exactQuantile(values, q);
        const read = quantile(h, q)!;
        expect(Math.abs(read - exact), `n=${n} q=${q}`).toBeLessThanOrEqual(0.01 * exact + 1e-9);
      }
    }
  });

  it('merges by adding counts', () => {
    const a = histogramOf([100, 200, 300]);
    const b = histogramOf([200, 5000]);
    expect(mergeHistograms([a, b])).toEqual(histogramOf([100, 200, 200, 300, 5000]));
    expect(quantile({ bins: [], counts: [] }, 0.95)).toBeNull();
  });
});
