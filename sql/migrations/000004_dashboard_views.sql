-- The three materialized views the dashboard reads. Their names and columns are a contract
-- (DESIGN.md); what they are computed from may change, their shape may not.
--
-- A database adopted from an earlier setup may already have views with these names. They are
-- replaced, and whatever privileges they had (e.g. SELECT for the dashboard's role) are granted
-- again on the new views, so replacing them cannot break the dashboard. Nothing that depends on
-- them is dropped: if another view is built on top of one, this migration stops and says so.

-- Fail early, in words, when an adopted api_usage lacks a column the views need.
do $$
declare
  missing text;
begin
  select string_agg(c, ', ' order by c) into missing
  from unnest(array['created_at', 'user_id', 'provider', 'service_type', 'model', 'input_tokens',
                    'output_tokens', 'images', 'video_seconds', 'cost_usd', 'latency_ms', 'success']) as c
  where not exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = 'public.api_usage'::regclass and a.attname = c and a.attnum > 0 and not a.attisdropped
  );
  if missing is not null then
    raise exception 'api_usage lacks columns the dashboard views need: %', missing
      using hint = 'run `pulsebot doctor` for the ALTER TABLE statement that adds them';
  end if;
end
$$;

-- Drops a view or materialized view (never a table, never with CASCADE) and returns the
-- privileges it carried, to be granted again on its replacement.
create function pulsebot.drop_dashboard_view(view_name text) returns aclitem[]
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
declare
  rel record;
begin
  select c.oid, c.relkind, c.relacl into rel
  from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname = view_name;
  if not found then
    return null;
  end if;
  if rel.relkind = 'm' then
    execute format('drop materialized view public.%I', view_name);
  elsif rel.relkind = 'v' then
    execute format('drop view public.%I', view_name);
  else
    raise exception 'public.% exists and is not a view; pulsebot will not drop it', view_name
      using hint = 'rename it, then run `pulsebot migrate` again';
  end if;
  return rel.relacl;
end
$$;

create function pulsebot.restore_grants(view_name text, acl aclitem[]) returns void
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
declare
  g record;
  owner oid;
begin
  if acl is null then
    return;
  end if;
  select c.relowner into owner from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relname = view_name;
  for g in select * from aclexplode(acl) loop
    continue when g.grantee = owner;
    execute format('grant %s on public.%I to %s', g.privilege_type, view_name,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end);
  end loop;
end
$$;

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs']) as v;

-- One row per day of the last 90 days in the dashboard's time zone, today included; days without
-- traffic are rows of zeros (a gap in a chart hides an outage, a zero shows it).
create materialized view public.mv_daily_metrics as
with bounds as (
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

create unique index mv_daily_metrics_date_key on public.mv_daily_metrics (date);

-- Provider × service type over the last 30 days (today included) in the dashboard's time zone.
create materialized view public.mv_provider_performance as
with bounds as (
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

create unique index mv_provider_performance_key on public.mv_provider_performance (provider, service_type);

-- Provider × model × service type over the last 30 days (today included).
create materialized view public.mv_model_costs as
with bounds as (
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

create unique index mv_model_costs_key on public.mv_model_costs (provider, model, service_type);

select pulsebot.restore_grants(view_name, acl) from pulsebot_saved_acl;
