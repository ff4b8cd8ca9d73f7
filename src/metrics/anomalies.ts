import type { Kpis } from './kpis.js';

/**
 * Anomaly flags: each KPI against the same weekday of the last four weeks. Flagged when it lies
 * further from their mean than three standard deviations AND further than a floor that keeps a
 * very steady history from flagging noise (10% for volumes, cost and latency; 1 pp for success
 * rate). With fewer than three comparable weeks there are no flags at all.
 */
export interface AnomalyFlag {
  kpi: AnomalyKpi;
  value: number;
  mean: number;
  stddev: number;
  /** Standard deviations from the mean (Infinity-free: 0 spread reports the floor's multiple). */
  deviations: number;
  direction: 'high' | 'low';
}

export type AnomalyKpi = 'requests' | 'costUsd' | 'activeUsers' | 'successRate' | 'avgLatencyMs' | 'p95LatencyMs';

const KPIS: AnomalyKpi[] = ['requests', 'costUsd', 'activeUsers', 'successRate', 'avgLatencyMs', 'p95LatencyMs'];
export const MIN_HISTORY = 3;
const SIGMAS = 3;

function floorFor(kpi: AnomalyKpi, mean: number): number {
  return kpi === 'successRate' ? 0.01 : 0.1 * Math.abs(mean);
}

export function anomalies(current: Kpis, history: readonly Kpis[]): { flags: AnomalyFlag[]; comparableWeeks: number } {
  const usable = history.filter((k) => k.requests > 0);
  if (current.requests === 0 || usable.length < MIN_HISTORY) return { flags: [], comparableWeeks: usable.length };
  const flags: AnomalyFlag[] = [];
  for (const kpi of KPIS) {
    const value = current[kpi];
    const past = usable.map((k) => k[kpi]).filter((v): v is number => v !== null);
    if (value === null || past.length < MIN_HISTORY) continue;
    const mean = past.reduce((a, b) => a + b, 0) / past.length;
    const stddev = Math.sqrt(past.reduce((a, b) => a + (b - mean) ** 2, 0) / (past.length - 1));
    const distance = Math.abs(value - mean);
    if (distance > SIGMAS * stddev && distance > floorFor(kpi, mean)) {
      flags.push({
        kpi,
        value,
        mean,
        stddev,
        deviations: stddev > 0 ? distance / stddev : distance / floorFor(kpi, mean),
        direction: value > mean ? 'high' : 'low',
      });
    }
  }
  return { flags, comparableWeeks: usable.length };
}
