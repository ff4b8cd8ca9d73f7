import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { seedDemo } from '../../src/demo/seed.js';
import { dailySeries, dailyTotals } from '../../src/metrics/queries-series.js';
import { dailyLatencyByService } from '../../src/metrics/queries-latency-series.js';
import { rollupDays } from '../../src/metrics/queries.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const NOW = new Date('2026-11-20T10:17:00Z');

describe.each(TARGETS)('daily series for charts on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
    await seedDemo(db.sql, { now: NOW, days: 5, rowsPerDay: 300, seed: 'series', append: false });
    await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
  });
  afterAll(() => db.close());

  it('matches plain SQL over raw rows per local day, provider and service type (Asia/Kolkata)', async () => {
    // Local days 2026-11-17 … 2026-11-19 in Kolkata (+05:30) begin at 18:30 UTC the day before.
    const range = { start: new Date('2026-11-16T18:30:00Z'), end: new Date('2026-11-19T18:30:00Z') };
    const series = await dailySeries(db.sql, range, 'Asia/Kolkata');
    const raw = await db.sql<
      { date: string; provider: string; service_type: string; requests: number; cost: number; p95: number | null }[]
    >`
      select (created_at at time zone 'Asia/Kolkata')::date::text as date, provider, service_type, count(*)::int as requests,
             sum(cost_usd) as cost, percentile_cont(0.95) within group (order by latency_ms) as p95
      from public.api_usage where created_at >= ${range.start} and created_at < ${range.end}
      group by 1, 2, 3 order by 1, 2, 3`;
    expect(series.map((s) => [s.date, s.provider, s.serviceType, s.requests])).toEqual(
      raw.map((r) => [r.date, r.provider, r.service_type, r.requests]),
    );
    expect(new Set(series.map((s) => s.date))).toEqual(new Set(['2026-11-17', '2026-11-18', '2026-11-19']));
    series.forEach((s, i) => {
      expect(s.costUsd).toBeCloseTo(raw[i]!.cost, 6);
      const want = raw[i]!.p95;
      expect(
        want === null ? s.p95LatencyMs === null : Math.abs(s.p95LatencyMs! - want) <= 0.01 * want + 1e-9,
        `${s.date} ${s.provider}`,
      ).toBe(true);
    });
  });

  it('daily totals and per-service p95 from the daily rollups (UTC, their own zone) match raw rows, as do the 15-minute path', async () => {
    const range = { start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-11-19T00:00:00Z') };
    const days = await rollupDays(db.sql, 'UTC', '2026-11-16', '2026-11-18');
    expect(days).not.toBeNull();
    const raw = await db.sql<
      { date: string; provider: string; service_type: string; requests: number; successes: number; cost: number }[]
    >`
      select (created_at at time zone 'UTC')::date::text as date, provider, service_type, count(*)::int as requests,
             count(*) filter (where success)::int as successes, sum(cost_usd) as cost
      from public.api_usage where created_at >= ${range.start} and created_at < ${range.end}
      group by 1, 2, 3 order by 1, 2, 3`;
    for (const totals of [
      await dailyTotals(db.sql, range, 'UTC', days),
      await dailyTotals(db.sql, range, 'UTC', null),
    ]) {
      expect(totals.map((t) => [t.date, t.provider, t.serviceType, t.requests, t.successes])).toEqual(
        raw.map((r) => [r.date, r.provider, r.service_type, r.requests, r.successes]),
      );
      totals.forEach((t, i) => expect(t.costUsd).toBeCloseTo(raw[i]!.cost, 6));
    }
    const p95 = await db.sql<{ date: string; service_type: string; p95: number }[]>`
      select (created_at at time zone 'UTC')::date::text as date, service_type, percentile_cont(0.95) within group (order by latency_ms) as p95
      from public.api_usage where created_at >= ${range.start} and created_at < ${range.end} and latency_ms is not null
      group by 1, 2 order by 1, 2`;
    for (const latency of [
      await dailyLatencyByService(db.sql, range, 'UTC', days),
      await dailyLatencyByService(db.sql, range, 'UTC', null),
    ]) {
      const got = [...latency].sort(
        (a, b) => a.date.localeCompare(b.date) || a.serviceType.localeCompare(b.serviceType),
      );
      expect(got.map((l) => [l.date, l.serviceType])).toEqual(p95.map((r) => [r.date, r.service_type]));
      got.forEach((l, i) =>
        expect(Math.abs(l.p95LatencyMs! - p95[i]!.p95), `${l.date} ${l.serviceType}`).toBeLessThanOrEqual(
          0.01 * p95[i]!.p95,
        ),
      );
    }
  });
});
