import type { Delta } from './deltas.js';

/** A period's headline figures, shared by the snapshot, its anomaly flags and the digests. */
export interface Kpis {
  requests: number;
  successfulRequests: number;
  /** Fraction 0..1; null when there was no traffic. */
  successRate: number | null;
  costUsd: number;
  activeUsers: number;
  avgLatencyMs: number | null;
  p95LatencyMs: number | null;
  tokens: number;
  images: number;
  videoSeconds: number;
}

export interface KpiDeltas {
  requests: Delta;
  costUsd: Delta;
  activeUsers: Delta;
  avgLatencyMs: Delta;
  p95LatencyMs: Delta;
  successRate: Delta;
}
