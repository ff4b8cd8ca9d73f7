-- Rollups with pending deltas: a fold appends, a compaction merges.
--
-- Why: the fold of 000008 updated in place every rollup key a batch named. A batch of 100k rows
-- with 10% back-dated names ~120k keys (each late row its own 15-minute and day keys, each user
-- its own (model, user, day) key), and an in-place update or index probe costs 5–8 µs a key, so
-- the fold cost ~1.3 s. Appending a pre-aggregated row to a table without indexes costs a tenth
-- of that. So:
--   * the 15-minute measures (counts, sums, histograms, failures) of a batch are appended,
--     aggregated per bucket × model × latency bin × error code, to pulsebot.pending_15m; readers
--     (`pulsebot snapshot`, the charts) read the *_15m_live views = rollup ∪ pending, exact
--     because every measure is a sum. The dashboard views never read the 15-minute grain;
--   * the daily rollups the views read are small (a few thousand keys a batch) and stay merged
--     at every fold, so a refresh of the views never depends on how much is pending;
--   * the (day, user, model) counts behind the exact user sets are appended too, to
--     pulsebot.model_user_days_pending (a key's count = its row's n + its pending deltas); what
--     the views count is settled at every fold: (day, user) presence in pulsebot.user_days, users
--     per day, each (model, user)'s latest day. A count only matters when a delete could take it
--     to zero, and then the fold adds up rollup + pending for exactly the keys that lost rows;
--   * pulsebot.compact_rollups() merges pending into the rollups — many batches' deltas for one
--     key in one update. `pulsebot refresh` runs it after the views are refreshed once pending
--     holds compact_after_rows rows; fold_changes() runs it itself at 4× that, so a scheduler
--     that only calls refresh_analytics_views() (pg_cron) stays bounded.
-- This file holds the storage (moving the user sets over) and the views; 000014 the functions.

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs']) as v;

alter table pulsebot.rollup_state
  add column pending_rows       bigint not null default 0,
  add column compact_after_rows bigint not null default 250000 check (compact_after_rows > 0),
  add column compacted_at       timestamptz,
  -- A delete that moves back the latest day of fewer pairs × days than this probes them one by
  -- one; more, and the fold reads the user sets once instead.
  add column probe_removals_up_to bigint not null default 100000;

-- One row per (bucket, model, latency bin, error code) of a batch. A group is all successes
-- (error_code null) or all failures of one code, and has a latency bin unless its latencies are
-- null, so successes, latency count, histogram count and failures all follow from `requests`.
create table pulsebot.pending_15m (
  bucket             timestamptz not null,
  dim_id             integer not null,
  bin                integer,
  error_code         text,
  requests           bigint not null,
  cost_usd           numeric not null,
  input_tokens       bigint not null,
  output_tokens      bigint not null,
  images             bigint not null,
  video_seconds      numeric not null,
  latency_sum        double precision not null,
  negative_cost_rows bigint not null
);

-- User sets, keyed day first: a batch's keys cluster on today's end of the index, and "is this
-- user still active that day" is one prefix probe on (day, user_id).
do $$
declare
  user_type text;
begin
  select format_type(a.atttypid, a.atttypmod) into user_type
  from pg_attribute a where a.attrelid = 'pulsebot.daily_users'::regclass and a.attname = 'user_id';

  -- n: calls as of the last compaction (rows whose count reached zero go then); the exact count
  -- adds the key's deltas in model_user_days_pending, where new keys live until compacted.
  execute format($t$
    create table pulsebot.model_user_days (
      day     date not null,
      user_id %1$s not null,
      dim_id  integer not null,
      n       bigint not null,
      primary key (day, user_id, dim_id)
    ) with (fillfactor = 90)$t$, user_type);
  execute format($t$
    create table pulsebot.model_user_days_pending (
      day     date not null,
      user_id %1$s not null,
      dim_id  integer not null,
      dn      bigint not null
    )$t$, user_type);
  -- Presence only, exact at every fold: a row exists while the user has calls that day.
  execute format($t$
    create table pulsebot.user_days (
      day     date not null,
      user_id %1$s not null,
      primary key (day, user_id)
    )$t$, user_type);
end
$$;

insert into pulsebot.model_user_days (day, user_id, dim_id, n)
select day, user_id, dim_id, n from pulsebot.daily_model_users where n > 0 order by 1, 2, 3;
insert into pulsebot.user_days (day, user_id)
select distinct day, user_id from pulsebot.model_user_days order by 1, 2;
delete from pulsebot.daily_active;
insert into pulsebot.daily_active (day, users) select day, count(*) from pulsebot.user_days group by 1;
drop table pulsebot.daily_model_users, pulsebot.daily_users;

-- 15-minute rollup ∪ pending, in the rollups' columns. Readers always aggregate (sum) over keys,
-- so a key may appear more than once; keys that net to zero are filtered by the readers' HAVING.
create view pulsebot.usage_15m_live as
select bucket, dim_id, requests, successes, cost_usd, input_tokens, output_tokens, images, video_seconds,
       latency_sum, latency_count, negative_cost_rows
from pulsebot.usage_15m
union all
select bucket, dim_id, requests, case when error_code is null then requests else 0 end, cost_usd, input_tokens,
       output_tokens, images, video_seconds, latency_sum, case when bin is not null then requests else 0 end,
       negative_cost_rows
from pulsebot.pending_15m;

create view pulsebot.latency_15m_live as
select bucket, dim_id, bin, n from pulsebot.latency_15m
union all
select bucket, dim_id, bin, requests from pulsebot.pending_15m where bin is not null;

create view pulsebot.errors_15m_live as
select bucket, dim_id, error_code, failures from pulsebot.errors_15m
union all
select bucket, dim_id, error_code, requests from pulsebot.pending_15m where error_code is not null;

-- The dashboard views, as in 000009 (same columns, same meaning) over the new user sets.
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
-- OFFSET 0 keeps the planner on the last_day index (a few rows) rather than the whole table.
future as (
  select dim_id, user_id from pulsebot.model_user_recency
  where last_day > (select today from bounds) offset 0
),
future_pending as materialized (
  select p.day, p.user_id, p.dim_id, p.dn from pulsebot.model_user_days_pending p
  where (p.user_id, p.dim_id) in (select user_id, dim_id from future)
),
users as (
  select d.dim_id, sum(d.pairs) as unique_users
  from pulsebot.recency_days d cross join bounds b
  where d.last_day between b.today - 29 and b.today
  group by 1
  union all
  -- A pair whose latest day is in the future (a clock-skewed row) may still have days in the
  -- window: probed a day at a time (keys are ordered by day first), pending counts included.
  select f.dim_id, count(*)
  from future f cross join bounds b
  where exists (
    select 1 from generate_series(0, 29) as k
    where coalesce((select x.n from pulsebot.model_user_days x
                    where x.day = b.today - k and x.user_id = f.user_id and x.dim_id = f.dim_id), 0)
        + coalesce((select sum(p.dn) from future_pending p
                    where p.day = b.today - k and p.user_id = f.user_id and p.dim_id = f.dim_id), 0) > 0)
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

