// Summary statistics of a metric's samples. Pure.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('the median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median and spread (min–max: with 5–7 rounds an IQR would be two of the samples anyway). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  if (samples.some((x) => !Number.isFinite(x)))
    throw new Error(`a sample is not a finite number: ${samples.join(', ')}`);
  return { n: samples.length, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
