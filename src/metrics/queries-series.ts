import type { Sql } from '../db/connect.js';
import { quantile } from './histogram.js';
import type { DayRange, Histogram } from './queries.js';

/**
 * Per-day series for the charts: requests, successes, cost and p95 per local day × provider ×
 * service type over [start, end), in the report's time zone. The 15-minute buckets line up with
 * every zone's days, so any zone works; p95 merges the buckets' histograms per day.
 */
export interface DailyPoint {
  date: string;
  provider: string;
  serviceType: string;
  requests: number;
  successes: number;
  costUsd: number;
  p95LatencyMs: number | null;
}

export async function dailySeries(
  sql: Sql,
  range: { start: Date; end: Date },
  timeZone: string,
): Promise<DailyPoint[]> {
  const totals = await dailyTotals(sql, range, timeZone, null);
  const bins = await sql<{ date: string; provider: string; service_type: string; bin: number; n: number }[]>`
    select (l.bucket at time zone ${timeZone})::date::text as date, m.provider, m.service_type, l.bin, sum(l.n)::bigint as n
    from pulsebot.latency_15m_live l join pulsebot.usage_dims m on m.id = l.dim_id
    where l.bucket >= ${range.start} and l.bucket < ${range.end}
    group by 1, 2, 3, 4 having sum(l.n) > 0
    order by 1, 2, 3, 4`;
  const histograms = new Map<string, Histogram>();
  for (const b of bins) {
    const key = `${b.date}|${b.provider}|${b.service_type}`;
    const h = histograms.get(key) ?? { bins: [], counts: [] };
    h.bins.push(b.bin);
    h.counts.push(b.n);
    histograms.set(key, h);
  }
  return totals.map((t) => {
    const h = histograms.get(`${t.date}|${t.provider}|${t.serviceType}`);
    return { ...t, p95LatencyMs: h ? quantile(h, 0.95) : null };
  });
}

/**
 * The same per-day totals without the per-provider p95 (the digest's latency chart merges
 * histograms per service type instead: queries-latency-series.ts). Whole days of the rollups'
 * own zone read the daily rollups — one row per day × model instead of 96 — which is what keeps a
 * 30-day chart cheap on a large installation.
 */
export async function dailyTotals(
  sql: Sql,
  range: { start: Date; end: Date },
  timeZone: string,
  days: DayRange,
): Promise<DailyPoint[]> {
  const rows = days
    ? await sql<Omit<DailyPoint, 'p95LatencyMs'>[]>`
        select u.day::text as date, m.provider, m.service_type as "serviceType",
               sum(u.requests)::bigint as requests, sum(u.successes)::bigint as successes, sum(u.cost_usd) as "costUsd"
        from pulsebot.usage_daily u join pulsebot.usage_dims m on m.id = u.dim_id
        where u.day between ${days.first}::date and ${days.last}::date
        group by 1, 2, 3 having sum(u.requests) <> 0
        order by 1, 2, 3`
    : await sql<Omit<DailyPoint, 'p95LatencyMs'>[]>`
        select (u.bucket at time zone ${timeZone})::date::text as date, m.provider, m.service_type as "serviceType",
               sum(u.requests)::bigint as requests, sum(u.successes)::bigint as successes, sum(u.cost_usd) as "costUsd"
        from pulsebot.usage_15m_live u join pulsebot.usage_dims m on m.id = u.dim_id
        where u.bucket >= ${range.start} and u.bucket < ${range.end}
        group by 1, 2, 3 having sum(u.requests) <> 0
        order by 1, 2, 3`;
  return rows.map((r) => ({ ...r, p95LatencyMs: null }));
}
