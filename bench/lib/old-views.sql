-- The common approach pulsebot replaces, kept as the refresh bench's baseline: the three dashboard
-- views as materialized views over raw api_usage, every refresh rescanning the window. The text of
-- pulsebot's own first version of them, frozen here in a schema of their own; the day boundary is
-- evaluated once (MATERIALIZED), not per row, because a fair baseline is a fast one.
drop schema if exists bench_old cascade;
create schema bench_old;
create materialized view bench_old.mv_daily_metrics as
with bounds as materialized (
  select s.tz, (now() at time zone s.tz)::date as today
  from (select pulsebot.dashboard_timezone() as tz) s
),
days as (
  select (b.today - g)::date as date from bounds b, generate_series(0, 89) as g
),
agg as (
  select (u.created_at at time zone b.tz)::date as date,
         count(distinct u.user_id) as active_users,
         count(*) as total_requests,
         count(*) filter (where u.success) as successful_requests,
         sum(u.cost_usd) as total_cost_usd,
         avg(u.latency_ms) as avg_latency_ms,
         percentile_cont(0.95) within group (order by u.latency_ms) as p95_latency_ms,
         sum(coalesce(u.input_tokens, 0) + coalesce(u.output_tokens, 0)) as total_tokens,
         sum(coalesce(u.images, 0)) as total_images,
         sum(coalesce(u.video_seconds, 0)) as total_video_seconds
  from public.api_usage u cross join bounds b
  where u.created_at >= ((b.today - 89)::timestamp at time zone b.tz)
    and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
  group by 1
)
select d.date,
       coalesce(a.active_users, 0)::bigint as active_users,
       coalesce(a.total_requests, 0)::bigint as total_requests,
       coalesce(a.successful_requests, 0)::bigint as successful_requests,
       round(100.0 * a.successful_requests / nullif(a.total_requests, 0), 2) as success_rate,
       round(coalesce(a.total_cost_usd, 0), 6) as total_cost_usd,
       round(a.avg_latency_ms, 2) as avg_latency_ms,
       round(a.p95_latency_ms::numeric, 2) as p95_latency_ms,
       coalesce(a.total_tokens, 0)::bigint as total_tokens,
       coalesce(a.total_images, 0)::bigint as total_images,
       coalesce(a.total_video_seconds, 0)::numeric as total_video_seconds
from days d left join agg a on a.date = d.date;

create unique index on bench_old.mv_daily_metrics (date);

-- Provider × service type over the last 30 days (today included) in the dashboard's time zone.
create materialized view bench_old.mv_provider_performance as
with bounds as materialized (
  select s.tz, (now() at time zone s.tz)::date as today
  from (select pulsebot.dashboard_timezone() as tz) s
)
select coalesce(u.provider, 'unknown') as provider,
       coalesce(u.service_type, 'unknown') as service_type,
       count(*)::bigint as total_requests,
       round(sum(u.cost_usd), 6) as total_cost_usd,
       round(100.0 * count(*) filter (where u.success) / count(*), 2) as success_rate,
       round(avg(u.latency_ms), 2) as avg_latency_ms,
       round((percentile_cont(0.95) within group (order by u.latency_ms))::numeric, 2) as p95_latency_ms
from public.api_usage u cross join bounds b
where u.created_at >= ((b.today - 29)::timestamp at time zone b.tz)
  and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
group by 1, 2;

create unique index on bench_old.mv_provider_performance (provider, service_type);

-- Provider × model × service type over the last 30 days (today included).
create materialized view bench_old.mv_model_costs as
with bounds as materialized (
  select s.tz, (now() at time zone s.tz)::date as today
  from (select pulsebot.dashboard_timezone() as tz) s
)
select coalesce(u.provider, 'unknown') as provider,
       coalesce(u.model, 'unknown') as model,
       coalesce(u.service_type, 'unknown') as service_type,
       count(*)::bigint as total_requests,
       round(sum(u.cost_usd), 6) as total_cost_usd,
       sum(coalesce(u.input_tokens, 0) + coalesce(u.output_tokens, 0))::bigint as total_tokens,
       sum(coalesce(u.images, 0))::bigint as total_images,
       sum(coalesce(u.video_seconds, 0))::numeric as total_video_seconds,
       count(distinct u.user_id)::bigint as unique_users
from public.api_usage u cross join bounds b
where u.created_at >= ((b.today - 29)::timestamp at time zone b.tz)
  and u.created_at < ((b.today + 1)::timestamp at time zone b.tz)
group by 1, 2, 3;

create unique index on bench_old.mv_model_costs (provider, model, service_type);

