import type { DailyPoint } from '../metrics/queries-series.js';

/**
 * Time series the 30-day charts draw. The snapshot holds one period; these come from
 * src/metrics/queries-series.ts (one row per day × provider × service type, days in the report's
 * time zone as "YYYY-MM-DD").
 */
export type DailySeries = DailyPoint[];

/**
 * p95 latency per day and service type. A service's p95 cannot be derived from its providers'
 * p95s, so it comes from the merged `service:<type>` histograms of each day.
 */
export type DailyLatency = Array<{ date: string; serviceType: string; p95LatencyMs: number | null }>;

/** Cost per day, for the month-to-date chart (days of the current month). */
export type DailyCost = Array<{ date: string; costUsd: number }>;

/** One point of an alert's metric. */
export type SparkPoint = { at: string; value: number | null };

/** Health score per day (0–100, null when the day had no score). */
export type HealthTrend = Array<{ date: string; score: number | null }>;
