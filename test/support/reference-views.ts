import type { Sql } from '../../src/db/connect.js';

/*
 * The data-quality rules (docs/data-quality.md), spelt out on their own: a cost counts when it is
 * not NaN or ±Infinity (null and those add nothing), a latency when it is a finite number from 0
 * to 86,400,000 ms, video seconds when finite; the success rate is over rows whose success is
 * known; a null or empty name is 'unknown'.
 */
const COST = `case when u.cost_usd::numeric not in ('NaN', 'Infinity', '-Infinity') then u.cost_usd::numeric end`;
const LATENCY = `case when u.latency_ms::float8 not in ('NaN', 'Infinity', '-Infinity') and u.latency_ms >= 0
                      and u.latency_ms <= 86400000 then u.latency_ms::numeric end`;
const VIDEO = `case when u.video_seconds::numeric not in ('NaN', 'Infinity', '-Infinity') then u.video_seconds::numeric end`;
const NAME = (column: string) => `coalesce(nullif(u.${column}, ''), 'unknown')`;

/**
 * The dashboard views computed from scratch over raw api_usage, the plain way (what the views
 * were before the rollups): the independent answer the rollup-based views must reproduce.
 */
async function referenceViews(sql: Sql) {
  const daily = await sql<Record<string, unknown>[]>`
    with b as (select pulsebot.dashboard_timezone() as tz, (now() at time zone pulsebot.dashboard_timezone())::date as today),
    days as (select (b.today - g)::date as date from b, generate_series(0, 89) g),
    agg as (
      select (u.created_at at time zone b.tz)::date as date, count(distinct u.user_id) as active_users, count(*) as total_requests,
             count(*) filter (where u.success) as successful_requests, count(u.success) as known_outcomes,
             sum(${sql.unsafe(COST)}) as cost, avg(${sql.unsafe(LATENCY)}) as avg_latency,
             percentile_cont(0.95) within group (order by ${sql.unsafe(LATENCY)}) as p95,
             sum(coalesce(u.input_tokens, 0) + coalesce(u.output_tokens, 0)) as tokens, sum(coalesce(u.images, 0)) as images,
             sum(coalesce(${sql.unsafe(VIDEO)}, 0)) as video
      from public.api_usage u cross join b
      where u.created_at >= ((b.today - 89)::timestamp at time zone b.tz) and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
      group by 1)
    select d.date, coalesce(a.active_users, 0)::bigint as active_users, coalesce(a.total_requests, 0)::bigint as total_requests,
           coalesce(a.successful_requests, 0)::bigint as successful_requests,
           round(100.0 * a.successful_requests / nullif(a.known_outcomes, 0), 2) as success_rate,
           round(coalesce(a.cost, 0), 6) as total_cost_usd, round(a.avg_latency, 2) as avg_latency_ms,
           a.p95 as p95_latency_ms, coalesce(a.tokens, 0)::bigint as total_tokens, coalesce(a.images, 0)::bigint as total_images,
           coalesce(a.video, 0)::numeric as total_video_seconds
    from days d left join agg a on a.date = d.date order by d.date`;
  const providers = await sql<Record<string, unknown>[]>`
    with b as (select pulsebot.dashboard_timezone() as tz, (now() at time zone pulsebot.dashboard_timezone())::date as today)
    select ${sql.unsafe(NAME('provider'))} as provider, ${sql.unsafe(NAME('service_type'))} as service_type,
           count(*)::bigint as total_requests, round(coalesce(sum(${sql.unsafe(COST)}), 0), 6) as total_cost_usd,
           round(100.0 * count(*) filter (where u.success) / nullif(count(u.success), 0), 2) as success_rate,
           round(avg(${sql.unsafe(LATENCY)}), 2) as avg_latency_ms,
           percentile_cont(0.95) within group (order by ${sql.unsafe(LATENCY)}) as p95_latency_ms
    from public.api_usage u cross join b
    where u.created_at >= ((b.today - 29)::timestamp at time zone b.tz) and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
    group by 1, 2 order by 1, 2`;
  const models = await sql<Record<string, unknown>[]>`
    with b as (select pulsebot.dashboard_timezone() as tz, (now() at time zone pulsebot.dashboard_timezone())::date as today)
    select ${sql.unsafe(NAME('provider'))} as provider, ${sql.unsafe(NAME('model'))} as model,
           ${sql.unsafe(NAME('service_type'))} as service_type, count(*)::bigint as total_requests,
           round(coalesce(sum(${sql.unsafe(COST)}), 0), 6) as total_cost_usd,
           sum(coalesce(u.input_tokens, 0) + coalesce(u.output_tokens, 0))::bigint as total_tokens,
           sum(coalesce(u.images, 0))::bigint as total_images, sum(coalesce(${sql.unsafe(VIDEO)}, 0))::numeric as total_video_seconds,
           count(distinct u.user_id)::bigint as unique_users
    from public.api_usage u cross join b
    where u.created_at >= ((b.today - 29)::timestamp at time zone b.tz) and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
    group by 1, 2, 3 order by 1, 2, 3`;
  return { daily, providers, models };
}

async function dashboardViews(sql: Sql) {
  return {
    daily: await sql<Record<string, unknown>[]>`select * from public.mv_daily_metrics order by date`,
    providers: await sql<
      Record<string, unknown>[]
    >`select * from public.mv_provider_performance order by provider, service_type`,
    models: await sql<
      Record<string, unknown>[]
    >`select * from public.mv_model_costs order by provider, model, service_type`,
  };
}

/**
 * Differences between the views and the reference, as readable strings (empty when they agree):
 * every column exact, except p95 within 1% of percentile_cont (and null exactly when it is null).
 */
export async function compareWithReference(sql: Sql): Promise<string[]> {
  const [actual, expected] = [await dashboardViews(sql), await referenceViews(sql)];
  const problems: string[] = [];
  for (const name of ['daily', 'providers', 'models'] as const) {
    const a = actual[name];
    const e = expected[name];
    if (a.length !== e.length) problems.push(`${name}: ${a.length} rows, expected ${e.length}`);
    for (let i = 0; i < Math.min(a.length, e.length); i++) {
      for (const [column, want] of Object.entries(e[i]!)) {
        const got = a[i]![column];
        if (column === 'p95_latency_ms') {
          const ok =
            want === null
              ? got === null
              : typeof got === 'number' && Math.abs(got - (want as number)) <= 0.01 * Math.abs(want as number) + 0.005;
          if (!ok) problems.push(`${name}[${i}].${column}: ${String(got)}, expected ${String(want)} ±1%`);
        } else if (JSON.stringify(got) !== JSON.stringify(want)) {
          problems.push(
            `${name}[${i}].${column}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)} (${JSON.stringify(e[i])})`,
          );
        }
      }
    }
  }
  return problems;
}
