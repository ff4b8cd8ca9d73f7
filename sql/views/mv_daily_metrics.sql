-- A dashboard view (its name and columns are a contract: the README's "The database"). `migrate`
-- creates it again when this file changes: it keeps the view's grants and refuses to drop anything
-- built on it. Refreshed CONCURRENTLY, hence the unique index.
-- One row per day of the last 90 in the dashboard's time zone, today included. p95: the coarse
-- bins locate the quantile, then only the fine bins inside the picked coarse bin are read. The
-- success rate counts the requests whose outcome is known (docs/data-quality.md).
create materialized view public.mv_daily_metrics as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as (
  select (b.today - g)::date as date from bounds b, generate_series(0, 89) as g
),
totals as (
  select u.day, sum(u.requests) as requests, sum(u.successes) as successes,
         sum(u.requests - u.null_success_rows) as outcomes, sum(u.cost_usd) as cost_usd,
         sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count,
         sum(u.input_tokens + u.output_tokens) as tokens, sum(u.images) as images, sum(u.video_seconds) as video_seconds
  from pulsebot.usage_daily u cross join bounds b
  where u.day between b.today - 89 and b.today
  group by u.day
),
coarse_n as (
  select c.day, c.cbin, sum(c.n) as n from (
    select c.day, c.cbin, c.n from pulsebot.latency_daily_total_coarse c cross join bounds b
    where c.day between b.today - 89 and b.today
    union all
    select l.day, pulsebot.latency_coarse(l.bin), l.n from pulsebot.latency_daily_total_pending l cross join bounds b
    where l.day between b.today - 89 and b.today
  ) c
  group by 1, 2
  having sum(c.n) > 0
),
coarse as (
  select c.day, c.cbin, c.n,
         sum(c.n) over (partition by c.day order by c.cbin) - c.n as before,
         sum(c.n) over (partition by c.day) as total
  from coarse_n c
),
-- The coarse bins holding rank ⌊0.95 (total − 1)⌋ or the rank after it, as hist_quantile_after() counts.
picked as materialized (
  select day, cbin, before, total from coarse
  where before <= floor(0.95::float8 * (total::float8 - 1)) + 1 and before + n > floor(0.95::float8 * (total::float8 - 1))
),
fine as (
  select f.day, f.bin, sum(f.n::float8)::bigint as n from (
    select p.day, l.bin, l.n from picked p
    join pulsebot.latency_daily_total l on l.day = p.day and l.bin between p.cbin * 16 and p.cbin * 16 + 15
    union all
    select p.day, l.bin, l.n from picked p
    join pulsebot.latency_daily_total_pending l on l.day = p.day and l.bin between p.cbin * 16 and p.cbin * 16 + 15
  ) f
  group by 1, 2
  having sum(f.n::float8) > 0
),
p95 as (
  select f.day, pulsebot.hist_quantile_after(array_agg(f.bin order by f.bin), array_agg(f.n order by f.bin), s.before, s.total, 0.95) as p95
  from fine f join (select day, min(before) as before, min(total) as total from picked group by 1) s on s.day = f.day
  group by f.day, s.before, s.total
),
active as (
  select u.day, sum(pg_catalog.bit_count(u.bits)) as users
  from pulsebot.user_day_bits u cross join bounds b
  where u.day between b.today - 89 and b.today
  group by 1
)
select d.date,
       coalesce(a.users, 0)::bigint as active_users,
       coalesce(t.requests, 0)::bigint as total_requests,
       coalesce(t.successes, 0)::bigint as successful_requests,
       round(100.0 * t.successes / nullif(t.outcomes, 0), 2) as success_rate,
       round(coalesce(t.cost_usd, 0), 6) as total_cost_usd,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms,
       coalesce(t.tokens, 0)::bigint as total_tokens,
       coalesce(t.images, 0)::bigint as total_images,
       coalesce(t.video_seconds, 0)::numeric as total_video_seconds
from days d
left join totals t on t.day = d.date
left join p95 p on p.day = d.date
left join active a on a.day = d.date;

create unique index mv_daily_metrics_date_key on public.mv_daily_metrics (date);
