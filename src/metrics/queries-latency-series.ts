import type { Sql } from '../db/connect.js';
import { quantile } from './histogram.js';
import type { DayRange, Histogram } from './queries.js';

/**
 * p95 latency per local day and service type, for the latency chart. A service's p95 cannot be
 * derived from its providers' p95s, so the histograms are merged per day × service here. Whole
 * days of the rollups' own zone read the daily histograms; other zones the 15-minute ones (which
 * line up with every zone's days).
 */
export interface DailyServiceLatency {
  date: string;
  serviceType: string;
  p95LatencyMs: number | null;
}

export async function dailyLatencyByService(
  sql: Sql,
  range: { start: Date; end: Date },
  timeZone: string,
  days: DayRange,
): Promise<DailyServiceLatency[]> {
  const rows = days
    ? await sql<{ date: string; service_type: string; bin: number; n: number }[]>`
        select l.day::text as date, ps.service_type, l.bin, sum(l.n)::bigint as n
        from pulsebot.latency_daily_live l join pulsebot.provider_services ps on ps.id = l.ps_id
        where l.day between ${days.first}::date and ${days.last}::date
        group by 1, 2, 3 having sum(l.n) > 0
        order by 1, 2, 3`
    : await sql<{ date: string; service_type: string; bin: number; n: number }[]>`
        select (l.bucket at time zone ${timeZone})::date::text as date, m.service_type, l.bin, sum(l.n)::bigint as n
        from pulsebot.latency_15m_live l join pulsebot.usage_dims m on m.id = l.dim_id
        where l.bucket >= ${range.start} and l.bucket < ${range.end}
        group by 1, 2, 3 having sum(l.n) > 0
        order by 1, 2, 3`;
  const byKey = new Map<string, { date: string; serviceType: string; h: Histogram }>();
  for (const r of rows) {
    const key = `${r.date}|${r.service_type}`;
    const entry = byKey.get(key) ?? { date: r.date, serviceType: r.service_type, h: { bins: [], counts: [] } };
    entry.h.bins.push(r.bin);
    entry.h.counts.push(r.n);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map((e) => ({
    date: e.date,
    serviceType: e.serviceType,
    p95LatencyMs: quantile(e.h, 0.95),
  }));
}
