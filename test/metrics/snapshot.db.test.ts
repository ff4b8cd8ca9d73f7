import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PulsebotConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { seedDemo } from '../../src/demo/seed.js';
import { loadSnapshot } from '../../src/metrics/load-snapshot.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const NOW = new Date('2026-11-20T10:17:00Z');

/** The same numbers straight from raw api_usage with plain SQL: the independent answer. */
async function rawKpis(db: Database, start: string, end: string) {
  const [k] = await db.sql<Record<string, number | null>[]>`
    select count(*)::int as requests, count(*) filter (where success)::int as successes, sum(cost_usd) as cost,
           count(distinct user_id)::int as users, avg(latency_ms) as avg_latency,
           percentile_cont(0.95) within group (order by latency_ms) as p95,
           sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))::bigint as tokens,
           sum(coalesce(images, 0))::int as images, sum(coalesce(video_seconds, 0)) as video
    from public.api_usage where created_at >= ${start} and created_at < ${end}`;
  const ops = await db.sql<{ key: string; requests: number; cost: number; p95: number | null }[]>`
    select provider || '/' || service_type as key, count(*)::int as requests, sum(cost_usd) as cost,
           percentile_cont(0.95) within group (order by latency_ms) as p95
    from public.api_usage where created_at >= ${start} and created_at < ${end} group by 1 order by 1`;
  const models = await db.sql<{ key: string; requests: number; cost: number; users: number }[]>`
    select provider || '/' || model as key, count(*)::int as requests, sum(cost_usd) as cost, count(distinct user_id)::int as users
    from public.api_usage where created_at >= ${start} and created_at < ${end} group by 1 order by 1`;
  return { k: k!, ops, models };
}

const close = (actual: number | null, expected: number | null, relative: number) =>
  expected === null
    ? actual === null
    : actual !== null && Math.abs(actual - expected) <= relative * Math.abs(expected) + 1e-9;

describe.each(TARGETS)('snapshot against plain SQL over raw api_usage on %s', (target) => {
  let db: Database;
  const config: PulsebotConfig = configSchema.parse({
    reports: {
      daily: { period: 'day', timezone: 'UTC', top_models: 50 },
      kathmandu_week: { period: 'week', timezone: 'Asia/Kathmandu', top_models: 50 },
      berlin: { period: 'day', timezone: 'Europe/Berlin', top_models: 50 },
    },
  });
  beforeAll(async () => {
    db = await freshDatabase(target);
    await seedDemo(db.sql, { now: NOW, days: 30, rowsPerDay: 400, seed: 'snapshot', append: false });
    await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    // A late row for the report day after the refresh: the snapshot folds it in first.
    await db.sql`insert into public.api_usage (created_at, provider, service_type, model, cost_usd, success, latency_ms)
                 values ('2026-11-19T12:00:00Z', 'openai', 'content', 'gpt-4o', 1.5, false, 1234)`;
  });
  afterAll(() => db.close());

  for (const [report, start, end, date] of [
    ['daily', '2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z', undefined],
    // ISO week 2026-W46 in Nepal (+05:45): Monday 2026-11-09 00:00 local = 2026-11-08T18:15Z.
    ['kathmandu_week', '2026-11-08T18:15:00Z', '2026-11-15T18:15:00Z', undefined],
    // Berlin leaves summer time on 2026-10-25: a 25-hour day, 22:00Z to 23:00Z.
    ['berlin', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', { year: 2026, month: 10, day: 25 }],
  ] as const) {
    it(`${report}: KPIs, operations and models agree`, async () => {
      const s = await loadSnapshot(db.sql, config, { report, now: NOW, ...(date ? { date } : {}) });
      expect([s.period.start, s.period.end]).toEqual([new Date(start).toISOString(), new Date(end).toISOString()]);
      const raw = await rawKpis(db, start, end);
      const k = s.kpis.current;
      expect({
        requests: k.requests,
        successes: k.successfulRequests,
        users: k.activeUsers,
        tokens: k.tokens,
        images: k.images,
      }).toEqual({
        requests: raw.k.requests,
        successes: raw.k.successes,
        users: raw.k.users,
        tokens: raw.k.tokens,
        images: raw.k.images,
      });
      expect(k.costUsd).toBeCloseTo(raw.k.cost!, 6);
      expect(k.videoSeconds).toBeCloseTo(raw.k.video!, 6);
      expect(k.avgLatencyMs).toBeCloseTo(raw.k.avg_latency!, 6);
      expect(close(k.p95LatencyMs, raw.k.p95 ?? null, 0.01), `p95 ${k.p95LatencyMs} vs ${raw.k.p95}`).toBe(true);
      expect(k.successRate).toBeCloseTo(raw.k.successes! / raw.k.requests!, 12);

      const ops = s.operations
        .map((o) => ({
          key: `${o.provider}/${o.serviceType}`,
          requests: o.requests,
          cost: o.costUsd,
          p95: o.p95LatencyMs,
        }))
        .sort((a, b) => a.key.localeCompare(b.key));
      expect(ops.map((o) => [o.key, o.requests])).toEqual(raw.ops.map((o) => [o.key, o.requests]));
      ops.forEach((o, i) => {
        expect(o.cost).toBeCloseTo(raw.ops[i]!.cost, 6);
        expect(close(o.p95, raw.ops[i]!.p95, 0.01), `${o.key} p95 ${o.p95} vs ${raw.ops[i]!.p95}`).toBe(true);
      });

      const models = s.models.top
        .map((m) => ({ key: `${m.provider}/${m.model}`, requests: m.requests, users: m.uniqueUsers }))
        .sort((a, b) => a.key.localeCompare(b.key));
      expect(models).toEqual(raw.models.map((m) => ({ key: m.key, requests: m.requests, users: m.users })));
      expect(s.models.other).toBeNull();
    });
  }

  it('compares with the previous day and the same weekday a week earlier', async () => {
    const s = await loadSnapshot(db.sql, config, { report: 'daily', now: NOW });
    const prev = await rawKpis(db, '2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z');
    const week = await rawKpis(db, '2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z');
    expect([s.kpis.previous.requests, s.kpis.sameWeekdayLastWeek?.requests]).toEqual([
      prev.k.requests,
      week.k.requests,
    ]);
    const cur = s.kpis.current.requests;
    expect(s.deltas.vsPrevious.requests).toEqual({
      kind: 'relative',
      ratio: (cur - prev.k.requests!) / prev.k.requests!,
    });
    expect(s.deltas.vsPrevious.successRate.kind).toBe('points');
  });

  it('names a day explicitly, and refuses one that is not over yet', async () => {
    const s = await loadSnapshot(db.sql, config, {
      report: 'daily',
      date: { year: 2026, month: 11, day: 10 },
      now: NOW,
    });
    expect(s.period.label).toBe('2026-11-10');
    await expect(
      loadSnapshot(db.sql, config, { report: 'daily', date: { year: 2026, month: 11, day: 20 }, now: NOW }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadSnapshot(db.sql, config, { report: 'nope', now: NOW })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('users and finance agree with plain SQL', async () => {
    const s = await loadSnapshot(db.sql, config, { report: 'daily', now: NOW });
    const [start, end] = ['2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'];
    const top = await db.sql<{ cost: number }[]>`
      select sum(cost_usd) as cost from public.api_usage where created_at >= ${start} and created_at < ${end} and user_id is not null
      group by user_id order by 1 desc limit 5`;
    expect(s.users.topUsers.map((u) => +u.costUsd.toFixed(6))).toEqual(top.map((t) => +t.cost.toFixed(6)));
    expect(s.users.new + s.users.returning).toBe(s.kpis.current.activeUsers);
    // every call lands in exactly one plan bucket (anonymous and "no plan" included)
    expect(s.users.byPlan.reduce((n, p) => n + p.requests, 0)).toBe(s.kpis.current.requests);
    const [mrr] = await db.sql<{ mrr: number }[]>`
      select sum(monthly_amount_usd) as mrr from public.user_subscriptions
      where status in ('active', 'past_due') and monthly_amount_usd > 0 and started_at < ${end} and (canceled_at is null or canceled_at >= ${end})`;
    expect(s.finance.mrrUsd).toBeCloseTo(mrr!.mrr, 6);
    const [mtd] = await db.sql<
      { cost: number }[]
    >`select sum(cost_usd) as cost from public.api_usage where created_at >= '2026-11-01T00:00:00Z' and created_at < ${end}`;
    expect(s.finance.monthToDate.costUsd).toBeCloseTo(mtd!.cost, 6);
    expect(s.finance.forecast.monthEndCostUsd).toBeGreaterThan(s.finance.monthToDate.costUsd);
  });
});
