-- The dashboard views rebuilt over the rollups: same names, same columns, same meaning; a refresh
-- now reads a few thousand rollup rows instead of rescanning api_usage. p95 comes from the
-- latency histograms (within 1% of percentile_cont over the raw rows); everything else is exact.

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs']) as v;

create materialized view public.mv_daily_metrics as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as (
  select (b.today - g)::date as date from bounds b, generate_series(0, 89) as g
),
totals as (
  select u.day, sum(u.requests) as requests, sum(u.successes) as successes, sum(u.cost_usd) as cost_usd,
         sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count,
         sum(u.input_tokens + u.output_tokens) as tokens, sum(u.images) as images, sum(u.video_seconds) as video_seconds
  from pulsebot.usage_daily u cross join bounds b
  where u.day between b.today - 89 and b.today
  group by u.day
),
p95 as (
  select l.day, pulsebot.hist_quantile(array_agg(l.bin order by l.bin), array_agg(l.n order by l.bin), 0.95) as p95
  from pulsebot.latency_daily_total l cross join bounds b
  where l.day between b.today - 89 and b.today and l.n > 0
  group by l.day
)
select d.date,
       coalesce(a.users, 0)::bigint as active_users,
       coalesce(t.requests, 0)::bigint as total_requests,
       coalesce(t.successes, 0)::bigint as successful_requests,
       round(100.0 * t.successes / nullif(t.requests, 0), 2) as success_rate,
       round(coalesce(t.cost_usd, 0), 6) as total_cost_usd,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms,
       coalesce(t.tokens, 0)::bigint as total_tokens,
       coalesce(t.images, 0)::bigint as total_images,
       coalesce(t.video_seconds, 0)::numeric as total_video_seconds
from days d
left join totals t on t.day = d.date
left join p95 p on p.day = d.date
left join pulsebot.daily_active a on a.day = d.date;

create unique index mv_daily_metrics_date_key on public.mv_daily_metrics (date);

create materialized view public.mv_provider_performance as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
totals as (
  select m.ps_id, sum(u.requests) as requests, sum(u.successes) as successes,
         sum(u.cost_usd) as cost_usd, sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count
  from pulsebot.usage_daily u join pulsebot.usage_dims m on m.id = u.dim_id cross join bounds b
  where u.day between b.today - 29 and b.today
  group by 1
  having sum(u.requests) > 0
),
hist as (
  select l.ps_id, l.bin, sum(l.n)::bigint as n
  from pulsebot.latency_daily l cross join bounds b
  where l.day between b.today - 29 and b.today
  group by 1, 2
  having sum(l.n) > 0
),
p95 as (
  select ps_id, pulsebot.hist_quantile(array_agg(bin order by bin), array_agg(n order by bin), 0.95) as p95
  from hist group by 1
)
select ps.provider, ps.service_type,
       t.requests::bigint as total_requests,
       round(t.cost_usd, 6) as total_cost_usd,
       round(100.0 * t.successes / t.requests, 2) as success_rate,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms
from totals t
join pulsebot.provider_services ps on ps.id = t.ps_id
left join p95 p on p.ps_id = t.ps_id;

create unique index mv_provider_performance_key on public.mv_provider_performance (provider, service_type);

create materialized view public.mv_model_costs as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
totals as (
  select u.dim_id, sum(u.requests) as requests, sum(u.cost_usd) as cost_usd,
         sum(u.input_tokens + u.output_tokens) as tokens, sum(u.images) as images, sum(u.video_seconds) as video_seconds
  from pulsebot.usage_daily u cross join bounds b
  where u.day between b.today - 29 and b.today
  group by 1
  having sum(u.requests) > 0
),
users as (
  select d.dim_id, sum(d.pairs) as unique_users
  from pulsebot.recency_days d cross join bounds b
  where d.last_day between b.today - 29 and b.today
  group by 1
  union all
  -- A pair whose latest day is in the future (a clock-skewed row) may still have days in the window.
  select r.dim_id, count(*)
  from pulsebot.model_user_recency r cross join bounds b
  where r.last_day > b.today and exists (
    select 1 from pulsebot.daily_model_users x
    where x.dim_id = r.dim_id and x.user_id = r.user_id and x.day between b.today - 29 and b.today)
  group by 1
),
user_totals as (
  select dim_id, sum(unique_users) as unique_users from users group by 1
)
select m.provider, m.model, m.service_type,
       t.requests::bigint as total_requests,
       round(t.cost_usd, 6) as total_cost_usd,
       t.tokens::bigint as total_tokens,
       t.images::bigint as total_images,
       t.video_seconds::numeric as total_video_seconds,
       coalesce(u.unique_users, 0)::bigint as unique_users
from totals t
join pulsebot.usage_dims m on m.id = t.dim_id
left join user_totals u on u.dim_id = t.dim_id;

create unique index mv_model_costs_key on public.mv_model_costs (provider, model, service_type);

select pulsebot.restore_grants(view_name, acl) from pulsebot_saved_acl;

-- Same signature, so CREATE OR REPLACE keeps its owner, EXECUTE grants and hardening. It now
-- folds the change log first (logged as 'rollups', row_count = change rows folded), then
-- refreshes the views; a failed fold still lets the views refresh from the rollups as they are.
create or replace function public.refresh_analytics_views()
  returns table (view_name text, outcome text, row_count bigint, started_at timestamptz,
                 finished_at timestamptz, error text)
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
  -- The views read a few thousand rollup rows; compiling them with JIT costs more than running them.
  set jit = off
as $$
declare
  v text;
  t0 timestamptz;
  n bigint;
begin
  foreach v in array array['rollups', 'mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] loop
    t0 := clock_timestamp();
    begin
      if v = 'rollups' then
        n := pulsebot.fold_changes();
      else
        execute format('refresh materialized view concurrently public.%I', v);
        execute format('select count(*) from public.%I', v) into n;
      end if;
      view_name := v; outcome := 'ok'; row_count := n; error := null;
    exception when others then
      view_name := v; outcome := 'failed'; row_count := null; error := sqlerrm;
    end;
    started_at := t0;
    finished_at := clock_timestamp();
    insert into pulsebot.refresh_log (view_name, started_at, finished_at, row_count, outcome, error, invoked_by)
    values (view_name, started_at, finished_at, row_count, outcome, error,
            nullif(current_setting('application_name', true), ''));
    return next;
  end loop;
  delete from pulsebot.refresh_log l where l.finished_at < now() - interval '90 days';
end
$$;
