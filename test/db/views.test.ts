import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { setDashboardTimezone } from '../../src/db/settings.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const DAY = 86_400_000;
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';
const U3 = '00000000-0000-4000-8000-000000000003';
const U4 = '00000000-0000-4000-8000-000000000004';

/** Midnight UTC of the day `offset` days from today. */
function utcDay(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + offset * DAY);
}
const iso = (d: Date) => d.toISOString().slice(0, 10);

/** p95 is read from log-spaced histograms: within 1% of percentile_cont (README "How refresh scales"). */
function within1Percent(expected: number) {
  return expect.toSatisfy(
    (actual: unknown) => typeof actual === 'number' && Math.abs(actual - expected) <= 0.01 * expected,
    `within 1% of ${expected}`,
  );
}
const at = (day: Date, hours: number) => new Date(day.getTime() + hours * 3_600_000);

/*
 * The fixture, with every expected number worked out by hand below.
 * D = yesterday (UTC):   20 × openai/gpt-4o/content at 00:00, 01:00 … 19:00; latency 100, 200 … 2000 ms;
 *                        users U1 ×10, U2 ×5, anonymous ×5; the last two (1900, 2000 ms) failed;
 *                        cost 0.01 each; 100 input + 50 output tokens each.
 * D-1:                   3 × flux/flux-pro-1.1/images at 12:00; images 1, 2, 4; cost 0.04, 0.08, 0.16;
 *                        latency 5000, 7000, 9000; users U1, U3, U3.
 * D-2:                   1 × runway/gen-3-alpha/video, 10 s, cost 1.00, latency unknown (null), failed, U4.
 * 40 days ago:           1 × anthropic/claude-sonnet-4 (daily view only: outside the 30-day windows).
 * 100 days ago:          1 × openai/gpt-4o (outside every window).
 * tomorrow:              1 × openai/gpt-4o (in the future: outside every window).
 */
async function insertFixture(db: Database) {
  const D = utcDay(-1);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    rows.push({
      created_at: at(D, i),
      user_id: i < 10 ? U1 : i < 15 ? U2 : null,
      provider: 'openai',
      service_type: 'content',
      model: 'gpt-4o',
      input_tokens: 100,
      output_tokens: 50,
      images: null,
      video_seconds: null,
      cost_usd: 0.01,
      latency_ms: (i + 1) * 100,
      success: i < 18,
    });
  }
  [
    [1, 0.04, 5000, U1],
    [2, 0.08, 7000, U3],
    [4, 0.16, 9000, U3],
  ].forEach(([images, cost, latency, user]) =>
    rows.push({
      created_at: at(utcDay(-2), 12),
      user_id: user,
      provider: 'flux',
      service_type: 'images',
      model: 'flux-pro-1.1',
      input_tokens: null,
      output_tokens: null,
      images,
      video_seconds: null,
      cost_usd: cost,
      latency_ms: latency,
      success: true,
    }),
  );
  rows.push({
    created_at: at(utcDay(-3), 9),
    user_id: U4,
    provider: 'runway',
    service_type: 'video',
    model: 'gen-3-alpha',
    input_tokens: null,
    output_tokens: null,
    images: null,
    video_seconds: 10,
    cost_usd: 1,
    latency_ms: null,
    success: false,
  });
  for (const [days, provider, model] of [
    [-40, 'anthropic', 'claude-sonnet-4'],
    [-100, 'openai', 'gpt-4o'],
    [1, 'openai', 'gpt-4o'],
  ] as const) {
    rows.push({
      created_at: at(utcDay(days), 10),
      user_id: U1,
      provider,
      service_type: 'content',
      model,
      input_tokens: 10,
      output_tokens: 10,
      images: null,
      video_seconds: null,
      cost_usd: 5,
      latency_ms: 50,
      success: true,
    });
  }
  await db.sql`insert into public.api_usage ${db.sql(rows as never[])}`;
}

describe.each(TARGETS)('dashboard views on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
    await insertFixture(db);
    const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    expect(results.map((r) => [r.view, r.outcome])).toEqual([
      ['rollups', 'ok'],
      ['mv_daily_metrics', 'ok'],
      ['mv_provider_performance', 'ok'],
      ['mv_model_costs', 'ok'],
    ]);
  });
  afterAll(() => db.close());

  it('mv_daily_metrics: one row per day for 90 days, hand-computed numbers', async () => {
    const rows = await db.sql<Record<string, unknown>[]>`select * from public.mv_daily_metrics order by date`;
    expect(rows).toHaveLength(90);
    expect(rows.map((r) => Object.keys(r))[0]).toEqual([
      'date',
      'active_users',
      'total_requests',
      'successful_requests',
      'success_rate',
      'total_cost_usd',
      'avg_latency_ms',
      'p95_latency_ms',
      'total_tokens',
      'total_images',
      'total_video_seconds',
    ]);
    const byDate = new Map(rows.map((r) => [iso(r.date as Date), r]));
    expect(iso(rows[89]!.date as Date)).toBe(iso(utcDay(0)));
    expect(iso(rows[0]!.date as Date)).toBe(iso(utcDay(-89)));

    // latencies 100…2000: percentile_cont(0.95) sits at position 0.95 × 19 = 18.05 → 1900 + 0.05 × 100
    expect(byDate.get(iso(utcDay(-1)))).toMatchObject({
      active_users: 2,
      total_requests: 20,
      successful_requests: 18,
      success_rate: 90,
      total_cost_usd: 0.2,
      avg_latency_ms: 1050,
      p95_latency_ms: within1Percent(1905),
      total_tokens: 3000,
      total_images: 0,
      total_video_seconds: 0,
    });
    // 5000, 7000, 9000: position 0.95 × 2 = 1.9 → 7000 + 0.9 × 2000
    expect(byDate.get(iso(utcDay(-2)))).toMatchObject({
      active_users: 2,
      total_requests: 3,
      successful_requests: 3,
      success_rate: 100,
      total_cost_usd: 0.28,
      avg_latency_ms: 7000,
      p95_latency_ms: within1Percent(8800),
      total_tokens: 0,
      total_images: 7,
      total_video_seconds: 0,
    });
    expect(byDate.get(iso(utcDay(-3)))).toMatchObject({
      active_users: 1,
      total_requests: 1,
      successful_requests: 0,
      success_rate: 0,
      total_cost_usd: 1,
      avg_latency_ms: null,
      p95_latency_ms: null,
      total_video_seconds: 10,
    });
    expect(byDate.get(iso(utcDay(-40)))).toMatchObject({ total_requests: 1, total_cost_usd: 5, total_tokens: 20 });
    // A day without traffic is a row of zeros with no success rate, not a missing row.
    expect(byDate.get(iso(utcDay(-10)))).toMatchObject({
      active_users: 0,
      total_requests: 0,
      success_rate: null,
      total_cost_usd: 0,
      p95_latency_ms: null,
    });
    const total = rows.reduce((s, r) => s + (r.total_requests as number), 0);
    expect(total).toBe(20 + 3 + 1 + 1); // the 100-days-ago and tomorrow rows are outside
  });

  it('mv_provider_performance: last 30 days per provider × service type', async () => {
    const rows = await db.sql`select * from public.mv_provider_performance order by provider`;
    expect(rows).toEqual([
      {
        provider: 'flux',
        service_type: 'images',
        total_requests: 3,
        total_cost_usd: 0.28,
        success_rate: 100,
        avg_latency_ms: 7000,
        p95_latency_ms: within1Percent(8800),
      },
      {
        provider: 'openai',
        service_type: 'content',
        total_requests: 20,
        total_cost_usd: 0.2,
        success_rate: 90,
        avg_latency_ms: 1050,
        p95_latency_ms: within1Percent(1905),
      },
      {
        provider: 'runway',
        service_type: 'video',
        total_requests: 1,
        total_cost_usd: 1,
        success_rate: 0,
        avg_latency_ms: null,
        p95_latency_ms: null,
      },
    ]);
  });

  it('mv_model_costs: last 30 days per provider × model × service type, exact distinct users', async () => {
    const rows = await db.sql`select * from public.mv_model_costs order by provider`;
    expect(rows).toEqual([
      {
        provider: 'flux',
        model: 'flux-pro-1.1',
        service_type: 'images',
        total_requests: 3,
        total_cost_usd: 0.28,
        total_tokens: 0,
        total_images: 7,
        total_video_seconds: 0,
        unique_users: 2,
      },
      {
        provider: 'openai',
        model: 'gpt-4o',
        service_type: 'content',
        total_requests: 20,
        total_cost_usd: 0.2,
        total_tokens: 3000,
        total_images: 0,
        total_video_seconds: 0,
        unique_users: 2,
      },
      {
        provider: 'runway',
        model: 'gen-3-alpha',
        service_type: 'video',
        total_requests: 1,
        total_cost_usd: 1,
        total_tokens: 0,
        total_images: 0,
        total_video_seconds: 10,
        unique_users: 1,
      },
    ]);
  });

  it('days follow the configured time zone (Asia/Kolkata, +05:30)', async () => {
    await setDashboardTimezone(db.sql, 'Asia/Kolkata');
    await refreshViews(db.sql, { dashboardTimezone: 'Asia/Kolkata', statementTimeoutSeconds: 60 });
    try {
      const rows = await db.sql<{ date: Date; total_requests: number; p95_latency_ms: number | null }[]>`
        select date, total_requests, p95_latency_ms from public.mv_daily_metrics where total_requests > 0 order by date`;
      const byDate = new Map(rows.map((r) => [iso(r.date), r]));
      // 19:00 UTC on D is 00:30 on D+1 in Kolkata: 19 of the 20 gpt-4o calls stay on D.
      expect(byDate.get(iso(utcDay(-1)))?.total_requests).toBe(19);
      expect(byDate.get(iso(utcDay(0)))).toMatchObject({ total_requests: 1, p95_latency_ms: within1Percent(2000) });
      // latencies 100…1900: position 0.95 × 18 = 17.1 → 1800 + 0.1 × 100
      expect(byDate.get(iso(utcDay(-1)))?.p95_latency_ms).toEqual(within1Percent(1810));
    } finally {
      await setDashboardTimezone(db.sql, 'UTC');
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    }
  });

  it('agree with a plain aggregate over raw rows', async () => {
    const [mv] = await db.sql<{ requests: number; cost: number; users: number }[]>`
      select sum(total_requests)::int as requests, sum(total_cost_usd) as cost, sum(unique_users)::int as users from public.mv_model_costs`;
    const [raw] = await db.sql<{ requests: number; cost: number; users: number }[]>`
      select count(*)::int as requests, sum(cost_usd) as cost,
             (select count(*)::int from (select distinct provider, model, user_id from public.api_usage
                                         where created_at > now() - interval '31 days' and created_at < now() and user_id is not null) x) as users
      from public.api_usage where created_at > now() - interval '31 days' and created_at < now()`;
    expect(mv).toEqual(raw);
  });
});

describe.each(TARGETS)('refresh_analytics_views() on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());

  it('is SECURITY DEFINER with a pinned search_path and no EXECUTE for PUBLIC', async () => {
    const [fn] = await db.sql<{ definer: boolean; config: string[]; public_exec: boolean }[]>`
      select prosecdef as definer, proconfig as config,
             proacl is null or exists (select 1 from aclexplode(proacl) x where x.grantee = 0 and x.privilege_type = 'EXECUTE') as public_exec
      from pg_proc where oid = 'public.refresh_analytics_views()'::regprocedure`;
    expect(fn).toEqual({
      definer: true,
      config: expect.arrayContaining(['search_path=pg_catalog, pg_temp']),
      public_exec: false,
    });
  });

  it('lets a role with EXECUTE refresh views it does not own; others are refused', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const [allowed, denied] = [`pulsebot_cron_${suffix}`, `pulsebot_anon_${suffix}`];
    await db.sql.unsafe(`create role ${allowed} nologin; create role ${denied} nologin;
      grant execute on function public.refresh_analytics_views() to ${allowed};`);
    try {
      const asRole = (role: string) =>
        db.sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          return tx<{ outcome: string }[]>`select outcome from public.refresh_analytics_views()`;
        });
      expect((await asRole(allowed)).map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
      await expect(asRole(denied)).rejects.toThrow(/permission denied/);
    } finally {
      await db.sql.unsafe(`revoke execute on function public.refresh_analytics_views() from ${allowed};
        drop role ${allowed}; drop role ${denied};`);
    }
  });

  it('logs every refresh with its row count, and a failure without raising', async () => {
    await db.sql`delete from pulsebot.refresh_log`;
    await db.sql`select * from public.refresh_analytics_views()`;
    const ok = await db.sql<
      { view_name: string; row_count: number; outcome: string; started_at: Date; finished_at: Date }[]
    >`
      select view_name, row_count, outcome, started_at, finished_at from pulsebot.refresh_log order by id`;
    expect(ok.map((r) => [r.view_name, r.outcome])).toEqual([
      ['rollups', 'ok'],
      ['mv_daily_metrics', 'ok'],
      ['mv_provider_performance', 'ok'],
      ['mv_model_costs', 'ok'],
    ]);
    expect(ok[1]!.row_count).toBe(90);
    for (const r of ok) expect(r.finished_at.getTime()).toBeGreaterThanOrEqual(r.started_at.getTime());

    // An unknown time zone makes every view's query fail: each failure is returned and logged.
    await db.sql`insert into pulsebot.settings (key, value) values ('dashboard_timezone', 'Mars/Olympus_Mons')
                 on conflict (key) do update set value = excluded.value`;
    try {
      const returned = await db.sql<
        { outcome: string; error: string }[]
      >`select outcome, error from public.refresh_analytics_views()`;
      // The fold and the daily view evaluate the zone on every refresh (the others only over rows).
      expect(returned.slice(0, 2).map((r) => r.outcome)).toEqual(['failed', 'failed']);
      expect(returned[0]!.error).toMatch(/time zone/i);
      const [failedRows] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from pulsebot.refresh_log where outcome = 'failed' and error like '%Mars/Olympus_Mons%'`;
      expect(failedRows?.n).toBe(returned.filter((r) => r.outcome === 'failed').length);
    } finally {
      await db.sql`update pulsebot.settings set value = 'UTC' where key = 'dashboard_timezone'`;
    }
  });
});
