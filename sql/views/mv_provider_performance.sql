-- A dashboard view (its name and columns are a contract: the README's "The database"). `migrate`
-- creates it again when this file changes: it keeps the view's grants and refuses to drop anything
-- built on it. Refreshed CONCURRENTLY, hence the unique index.
-- Provider × service type over the last 30 days; p95 located in the coarse bins, then the fine ones.
-- The success rate counts the requests whose outcome is known (docs/data-quality.md).
create materialized view public.mv_provider_performance as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as materialized (
  select (b.today - g)::date as day from bounds b, generate_series(0, 29) as g
),
totals as (
  select m.ps_id, sum(u.requests) as requests, sum(u.successes) as successes, sum(u.requests - u.null_success_rows) as outcomes,
         sum(u.cost_usd) as cost_usd, sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count
  from pulsebot.usage_daily u join pulsebot.usage_dims m on m.id = u.dim_id cross join bounds b
  where u.day between b.today - 29 and b.today
  group by 1
  having sum(u.requests) > 0
),
coarse as (
  select c.ps_id, c.cbin, sum(c.n) as n from (
    select c.ps_id, c.cbin, c.n from pulsebot.latency_daily_coarse c cross join bounds b
    where c.day between b.today - 29 and b.today
    union all
    select l.ps_id, pulsebot.latency_coarse(l.bin), l.n from pulsebot.latency_daily_pending l cross join bounds b
    where l.day between b.today - 29 and b.today
  ) c
  group by 1, 2
  having sum(c.n) > 0
),
walk as (
  select ps_id, cbin, n, sum(n) over (partition by ps_id order by cbin) - n as before, sum(n) over (partition by ps_id) as total
  from coarse
),
picked as materialized (
  select ps_id, cbin, before, total from walk
  where before <= floor(0.95::float8 * (total::float8 - 1)) + 1 and before + n > floor(0.95::float8 * (total::float8 - 1))
),
-- Day by day, each probe of the primary key (day, ps_id, bin) reading one coarse bin's ~16 rows:
-- a lateral subquery behind OFFSET 0, because the planner, left to itself, hash-joins the whole
-- 30 days (~160,000 rows at 10M rows of usage, ~25 ms) to keep a few thousand.
fine as (
  select f.ps_id, f.bin, sum(f.n::float8)::bigint as n from (
    select p.ps_id, l.bin, l.n from picked p cross join days d
    cross join lateral (
      select l.bin, l.n from pulsebot.latency_daily l
      where l.day = d.day and l.ps_id = p.ps_id and l.bin between p.cbin * 16 and p.cbin * 16 + 15
      offset 0
    ) l
    union all
    select p.ps_id, l.bin, l.n from picked p cross join bounds b
    join pulsebot.latency_daily_pending l on l.ps_id = p.ps_id and l.bin between p.cbin * 16 and p.cbin * 16 + 15
    where l.day between b.today - 29 and b.today
  ) f
  group by 1, 2
  having sum(f.n::float8) > 0
),
p95 as (
  select f.ps_id, pulsebot.hist_quantile_after(array_agg(f.bin order by f.bin), array_agg(f.n order by f.bin), s.before, s.total, 0.95) as p95
  from fine f join (select ps_id, min(before) as before, min(total) as total from picked group by 1) s on s.ps_id = f.ps_id
  group by f.ps_id, s.before, s.total
)
select ps.provider, ps.service_type,
       t.requests::bigint as total_requests,
       round(t.cost_usd, 6) as total_cost_usd,
       round(100.0 * t.successes / nullif(t.outcomes, 0), 2) as success_rate,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms
from totals t
join pulsebot.provider_services ps on ps.id = t.ps_id
left join p95 p on p.ps_id = t.ps_id;

create unique index mv_provider_performance_key on public.mv_provider_performance (provider, service_type);
