import type { Sql } from '../../src/db/connect.js';
import { distinctUsersByModel } from '../../src/metrics/queries.js';

/**
 * Differences between the exact user sets (a (day, user, model) count = its model_user_days n
 * plus its pending deltas; the day and (day, model) user bitmaps) and the raw rows, as readable
 * strings. The views only show how many users there are; this checks the bits they count and the
 * counts a later delete will rely on.
 */
export async function userSetProblems(sql: Sql): Promise<string[]> {
  const rows = await sql<{ problem: string }[]>`
    with s as (select timezone as tz, coalesce(pruned_before, date '-infinity') as keep_from, (now() at time zone timezone)::date as today
               from pulsebot.rollup_state),
    raw as (
      select (u.created_at at time zone s.tz)::date as day, u.user_id, m.id as dim_id, count(*) as n
      from public.api_usage u cross join s
      join pulsebot.usage_dims m on m.provider = coalesce(nullif(u.provider, ''), 'unknown')
        and m.service_type = coalesce(nullif(u.service_type, ''), 'unknown') and m.model = coalesce(nullif(u.model, ''), 'unknown')
      where u.user_id is not null and (u.created_at at time zone s.tz)::date >= s.keep_from
      group by 1, 2, 3
    ),
    kept as (
      select day, user_id, dim_id, sum(n) as n from (
        select day, user_id, dim_id, n from pulsebot.model_user_days
        union all
        select day, user_id, dim_id, dn from pulsebot.model_user_days_pending
      ) k group by 1, 2, 3 having sum(n) <> 0
    ),
    stale as (
      select day, user_id, dim_id, n from pulsebot.model_user_days where n <= 0
    )
    select format('model_user_days %s/%s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.user_id, k.user_id)::text,
                  coalesce(r.dim_id, k.dim_id), k.n, r.n) as problem
    from raw r full join kept k on k.day = r.day and k.user_id = r.user_id and k.dim_id = r.dim_id
    where r.n is distinct from k.n
    union all
    select format('model_user_days %s/%s/%s holds a count of %s', day, user_id::text, dim_id, n) from stale
    union all
    select format('user bit %s/%s: %s', coalesce(a.day, b.day), coalesce(a.user_id, b.user_id)::text,
                  case when a.day is null then 'missing' else 'extra' end)
    from (
      select x.day, n.user_id from pulsebot.user_day_bits x cross join generate_series(0, 4095) as i
      join pulsebot.user_numbers n on n.uid = x.block * 4096 + i
      where get_bit(x.bits, i) = 1
    ) a full join (select distinct day, user_id from kept where n > 0) b on a.day = b.day and a.user_id = b.user_id
    where a.day is null or b.day is null
    union all
    select format('model bit %s/%s/%s: %s', coalesce(a.day, b.day), coalesce(a.user_id, b.user_id)::text, coalesce(a.dim_id, b.dim_id),
                  case when a.day is null then 'missing' else 'extra' end)
    from (
      select x.day, x.dim_id, n.user_id from pulsebot.model_user_day_bits x cross join generate_series(0, 4095) as i
      join pulsebot.user_numbers n on n.uid = x.block * 4096 + i
      cross join s
      where get_bit(x.bits, i) = 1 and x.day >= pulsebot.model_bits_from(s.today)
    ) a full join (
      select k.day, k.dim_id, k.user_id from kept k cross join s where k.n > 0 and k.day >= pulsebot.model_bits_from(s.today)
    ) b on a.day = b.day and a.dim_id = b.dim_id and a.user_id = b.user_id
    where a.day is null or b.day is null
    limit 20`;
  return rows.map((r) => r.problem);
}

/** The snapshot's distinct users per model over the last 30 whole days (from rollup + pending) against raw rows. */
export async function usersByModelProblems(sql: Sql): Promise<string[]> {
  const [b] = await sql<{ first: string; last: string; tz: string }[]>`
    select ((now() at time zone timezone)::date - 29)::text as first, (now() at time zone timezone)::date::text as last, timezone as tz
    from pulsebot.rollup_state`;
  const end = new Date();
  const got = await distinctUsersByModel(
    sql,
    { start: new Date(end.getTime() - 30 * 86_400_000), end },
    { first: b!.first, last: b!.last, usersKept: true },
  );
  const raw = await sql<{ key: string; n: number }[]>`
    select coalesce(nullif(provider, ''), 'unknown') || '/' || coalesce(nullif(service_type, ''), 'unknown') || '/'
             || coalesce(nullif(model, ''), 'unknown') as key,
           count(distinct user_id)::bigint as n
    from public.api_usage
    where (created_at at time zone ${b!.tz})::date between ${b!.first}::date and ${b!.last}::date and user_id is not null
    group by 1`;
  const want = new Map(raw.map((r) => [r.key, r.n]));
  const keys = new Set([...got.keys(), ...want.keys()]);
  return [...keys]
    .filter((k) => got.get(k) !== want.get(k))
    .map((k) => `users of ${k}: ${got.get(k)}, raw ${want.get(k)}`);
}

/**
 * Differences between the daily latency histograms (rollup + pending, per provider × service type
 * and overall), fine and coarse, and the raw rows counted per day and bin, as readable strings.
 * Percentiles would hide a histogram counted twice; these counts do not. Also the views' p95 (read
 * through the coarse level) against one walk over every fine bin.
 */
export async function histogramProblems(sql: Sql): Promise<string[]> {
  const rows = await sql<{ problem: string }[]>`
    with s as (select timezone as tz from pulsebot.rollup_state),
    raw as (
      select (u.created_at at time zone s.tz)::date as day, ps.id as ps_id, pulsebot.latency_bin(u.latency_ms) as bin, count(*) as n
      from public.api_usage u cross join s
      join pulsebot.provider_services ps on ps.provider = coalesce(nullif(u.provider, ''), 'unknown')
        and ps.service_type = coalesce(nullif(u.service_type, ''), 'unknown')
      -- Only usable latencies are binned (docs/data-quality.md): finite, 0 to 24 h.
      where u.latency_ms::float8 not in ('NaN', 'Infinity', '-Infinity') and u.latency_ms >= 0 and u.latency_ms <= 86400000
        and u.created_at is not null
      group by 1, 2, 3
    ),
    kept as (select day, ps_id, bin, sum(n) as n from pulsebot.latency_daily_live group by 1, 2, 3 having sum(n) <> 0),
    kept_total as (select day, bin, sum(n) as n from pulsebot.latency_daily_total_live group by 1, 2 having sum(n) <> 0),
    raw_total as (select day, bin, sum(n) as n from raw group by 1, 2),
    -- Coarse bins by division, not by the shift the migration uses.
    raw_coarse as (select day, ps_id, floor(bin / 16.0)::int as cbin, sum(n) as n from raw group by 1, 2, 3),
    raw_total_coarse as (select day, floor(bin / 16.0)::int as cbin, sum(n) as n from raw group by 1, 2),
    -- The views' two-level p95 against one walk over every fine bin of the window.
    bounds as (select (now() at time zone pulsebot.dashboard_timezone())::date as today),
    one_level as (
      select day, round(pulsebot.hist_quantile_unsorted(array_agg(bin), array_agg(n::bigint), 0.95)::numeric, 2) as p95
      from kept_total group by 1
    ),
    one_level_ps as (
      select h.ps_id, round(pulsebot.hist_quantile_unsorted(array_agg(h.bin), array_agg(h.n::bigint), 0.95)::numeric, 2) as p95
      from (select k.ps_id, k.bin, sum(k.n) as n from kept k, bounds b where k.day between b.today - 29 and b.today
            group by 1, 2 having sum(k.n) > 0) h
      group by 1
    )
    select format('latency_daily %s/%s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.ps_id, k.ps_id), coalesce(r.bin, k.bin), k.n, r.n) as problem
    from raw r full join kept k on k.day = r.day and k.ps_id = r.ps_id and k.bin = r.bin
    where r.n is distinct from k.n
    union all
    select format('latency_daily_total %s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.bin, k.bin), k.n, r.n)
    from raw_total r full join kept_total k on k.day = r.day and k.bin = r.bin
    where r.n is distinct from k.n
    union all
    select format('latency_daily_coarse %s/%s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.ps_id, k.ps_id), coalesce(r.cbin, k.cbin), k.n, r.n)
    from raw_coarse r full join (select * from pulsebot.latency_daily_coarse_live where n <> 0) k
      on k.day = r.day and k.ps_id = r.ps_id and k.cbin = r.cbin
    where r.n is distinct from k.n
    union all
    -- The coarse rollups are the coarse bins of the compacted fine ones (their pending deltas are
    -- the pending fine rows).
    select format('latency_daily_coarse rollup %s/%s/%s: %s, fine rollup %s', coalesce(f.day, k.day), coalesce(f.ps_id, k.ps_id), coalesce(f.cbin, k.cbin), k.n, f.n)
    from (select day, ps_id, floor(bin / 16.0)::int as cbin, sum(n) as n from pulsebot.latency_daily group by 1, 2, 3 having sum(n) <> 0) f
    full join pulsebot.latency_daily_coarse k on k.day = f.day and k.ps_id = f.ps_id and k.cbin = f.cbin
    where f.n is distinct from k.n
    union all
    select format('latency_daily_total_coarse %s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.cbin, k.cbin), k.n, r.n)
    from raw_total_coarse r full join (select * from pulsebot.latency_daily_total_coarse_live where n <> 0) k
      on k.day = r.day and k.cbin = r.cbin
    where r.n is distinct from k.n
    union all
    select format('latency_daily_total_coarse rollup %s/%s: %s, fine rollup %s', coalesce(f.day, k.day), coalesce(f.cbin, k.cbin), k.n, f.n)
    from (select day, floor(bin / 16.0)::int as cbin, sum(n) as n from pulsebot.latency_daily_total group by 1, 2 having sum(n) <> 0) f
    full join pulsebot.latency_daily_total_coarse k on k.day = f.day and k.cbin = f.cbin
    where f.n is distinct from k.n
    union all
    select format('mv_daily_metrics %s: p95 %s, one-level walk %s', m.date, m.p95_latency_ms, o.p95)
    from public.mv_daily_metrics m left join one_level o on o.day = m.date
    where m.p95_latency_ms is distinct from o.p95
    union all
    select format('mv_provider_performance %s/%s: p95 %s, one-level walk %s', m.provider, m.service_type, m.p95_latency_ms, o.p95)
    from public.mv_provider_performance m join pulsebot.provider_services ps on ps.provider = m.provider and ps.service_type = m.service_type
    left join one_level_ps o on o.ps_id = ps.id
    where m.p95_latency_ms is distinct from o.p95
    limit 20`;
  return rows.map((r) => r.problem);
}
