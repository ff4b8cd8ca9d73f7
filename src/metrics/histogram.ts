import type { Histogram } from './queries.js';

/*
 * The TypeScript side of the latency histograms kept by the rollups (sql/functions/latency_bin.sql,
 * latency_bin_value.sql, hist_quantile.sql): the same bins, the same read-back value and the same
 * percentile_cont-style interpolation, so a percentile computed here equals the one the dashboard
 * views show.
 */
const GAMMA = 1.0191822311963654;
const LN_GAMMA = 0.019000571614286515;
const ZERO_BIN = -32768;

export function binOf(latencyMs: number): number {
  return latencyMs <= 0 ? ZERO_BIN : Math.ceil(Math.log(latencyMs) / LN_GAMMA);
}

export function binValue(bin: number): number {
  return bin === ZERO_BIN ? 0 : (2 * GAMMA ** bin) / (GAMMA + 1);
}

/** Adds histograms bin by bin (they are mergeable: a month is the sum of its days). */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const sum = new Map<number, number>();
  for (const h of histograms) {
    for (const [i, b] of h.bins.entries()) sum.set(b, (sum.get(b) ?? 0) + h.counts[i]!);
  }
  const bins = [...sum.keys()].filter((b) => sum.get(b)! > 0).sort((a, b) => a - b);
  return { bins, counts: bins.map((b) => sum.get(b)!) };
}

/** The q-quantile (0..1) interpolated between neighbouring ranks; null for an empty histogram. */
export function quantile(h: Histogram, q: number): number | null {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * (total - 1);
  const lo = Math.floor(rank);
  let cum = 0;
  let vLo: number | null = null;
  let vHi: number | null = null;
  for (let i = 0; i < h.bins.length; i++) {
    cum += h.counts[i]!;
    if (vLo === null && cum > lo) vLo = binValue(h.bins[i]!);
    if (cum > lo + 1) {
      vHi = binValue(h.bins[i]!);
      break;
    }
  }
  return vLo! + (rank - lo) * ((vHi ?? vLo!) - vLo!);
}
