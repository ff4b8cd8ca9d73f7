-- A dashboard view (its name and columns are a contract: the README's "The database"). `migrate`
-- creates it again when this file changes: it keeps the view's grants and refuses to drop anything
-- built on it. Refreshed CONCURRENTLY, hence the unique index.
-- Provider × model × service type over the last 30 days; unique users are the OR of the days'
-- user bitmaps, so a user counts once however many days they used the model.
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
-- A user counts once however many of the 30 days they used the model: OR the days' blocks.
users as (
  select dim_id, sum(pg_catalog.bit_count(bits)) as unique_users from (
    select x.dim_id, x.block, pg_catalog.bit_or(x.bits) as bits
    from pulsebot.model_user_day_bits x cross join bounds b
    where x.day between b.today - 29 and b.today
    group by 1, 2
  ) u group by 1
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
left join users u on u.dim_id = t.dim_id;

create unique index mv_model_costs_key on public.mv_model_costs (provider, model, service_type);
