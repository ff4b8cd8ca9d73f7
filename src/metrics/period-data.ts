import { quantile } from './histogram.js';
import type { Kpis } from './kpis.js';
import type { ErrorCount, Histogram, ModelMeasures } from './queries.js';

/**
 * What the query modules return for one period, and the figures every part of the snapshot
 * derives from it the same way.
 */
export interface PeriodData {
  byModel: ModelMeasures[];
  histograms: Map<string, Histogram>;
  errors: ErrorCount[];
  /**
   * pastTop: distinct users of the models past the report's top N, together (they cannot be added
   * up per model); absent when not counted.
   */
  users: { total: number; byModel: Map<string, number>; pastTop?: number };
}

export const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
export const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
/** Requests whose outcome is known: the success rate's denominator (rows without one are left out). */
export const outcomes = (m: ModelMeasures) => m.requests - m.nullSuccessRows;

export function kpisOf(data: PeriodData): Kpis {
  const m = data.byModel;
  const requests = sum(m, (x) => x.requests);
  const successes = sum(m, (x) => x.successes);
  const latencyCount = sum(m, (x) => x.latencyCount);
  return {
    requests,
    successfulRequests: successes,
    successRate: ratio(successes, sum(m, outcomes)),
    costUsd: sum(m, (x) => x.costUsd),
    activeUsers: data.users.total,
    avgLatencyMs: latencyCount > 0 ? sum(m, (x) => x.latencySum) / latencyCount : null,
    p95LatencyMs: quantile(data.histograms.get('*') ?? { bins: [], counts: [] }, 0.95),
    tokens: sum(m, (x) => x.inputTokens + x.outputTokens),
    images: sum(m, (x) => x.images),
    videoSeconds: sum(m, (x) => x.videoSeconds),
  };
}
