import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { seedDemo } from '../../src/demo/seed.js';
import { dailySeries } from '../../src/metrics/queries-series.js';
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
    const raw = await db.sql<{ date: string; provider: string; service_type: string; requests: number; cost: number; p95: number | null }[]>`
      select (created_at at time zone 'Asia/Kolkata')::date::text as date, provider, service_type, count(*)::int as requests,
             sum(cost_usd) as cost, percentile_cont(0.95) within group (order by latency_ms) as p95
      from public.api_usage where created_at >= ${range.start} and created_at < ${range.end}
      group by 1, 2, 3 order by 1, 2, 3`;
    expect(series.map((s) => [s.date, s.provider, s.serviceType, s.requests])).toEqual(raw.map((r) => [r.date, r.provider, r.service_type, r.requests]));
    expect(new Set(series.map((s) => s.date))).toEqual(new Set(['2026-11-17', '2026-11-18', '2026-11-19']));
    series.forEach((s, i) => {
      expect(s.costUsd).toBeCloseTo(raw[i]!.cost, 6);
      const want = raw[i]!.p95;
      expect(want === null ? s.p95LatencyMs === null : Math.abs(s.p95LatencyMs! - want) <= 0.01 * want + 1e-9, `${s.date} ${s.provider}`).toBe(true);
    });
  });
});
