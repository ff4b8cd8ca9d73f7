-- The coarse latency histograms (000020) hold the compacted daily histograms only; their pending
-- deltas are read from the pending fine rows, as the fine bins already were.
--
-- Why: the fold merged ~4,700 coarse bins in place per 100,000-row batch at 10M rows (10% of the
-- rows back-dated, so most days of the window gain a bin or two): an upsert each. Removing them
-- took the measures part from 143 to 122 ms (medians of 8 batches, alternating, same batches).
-- The views pay for it by grouping the pending fine rows of their window by coarse bin (one
-- batch's, ~10,000 and ~7,700 rows: `pulsebot refresh` merges them after every refresh), and
-- compaction, which runs after the views are committed, merges the coarse bins with the fine ones.
--
-- The coarse tables are rebuilt here from the compacted fine histograms; the views, dropped and
-- created again with their grants, read coarse rollup ∪ pending fine rows grouped by coarse bin.
--
-- What the views read now grows with the pending daily histogram rows. A scheduler that only
-- calls refresh_analytics_views() left them to the full compaction, which counts other rows
-- (pending_15m rows and user keys): ~270,000 histogram rows with the bench's batches (17,653 to
-- 65,165 pending rows each), more with fewer users. So the fold counts the daily histogram rows
-- it appends (rollup_state.histogram_rows: those of rows arriving through the log; the detached
-- parts' are merged by `pulsebot refresh` right after) and merges them at compact_after_rows.

truncate pulsebot.latency_daily_coarse, pulsebot.latency_daily_total_coarse;
insert into pulsebot.latency_daily_coarse
select day, ps_id, pulsebot.latency_coarse(bin), sum(n) from pulsebot.latency_daily group by 1, 2, 3 having sum(n) <> 0;
insert into pulsebot.latency_daily_total_coarse
select day, pulsebot.latency_coarse(bin), sum(n) from pulsebot.latency_daily_total group by 1, 2 having sum(n) <> 0;

alter table pulsebot.rollup_state add column histogram_rows bigint not null default 0;
update pulsebot.rollup_state set histogram_rows = (select count(*) from pulsebot.latency_daily_pending)
  + (select count(*) from pulsebot.latency_daily_total_pending);

-- Readers that want the coarse histograms whole (rollup ∪ pending), as the *_live views do for the
-- fine ones.
create view pulsebot.latency_daily_coarse_live as
select day, ps_id, cbin, sum(n) as n from (
  select day, ps_id, cbin, n from pulsebot.latency_daily_coarse
  union all
  select day, ps_id, pulsebot.latency_coarse(bin), n from pulsebot.latency_daily_pending
) c
group by 1, 2, 3;

create view pulsebot.latency_daily_total_coarse_live as
select day, cbin, sum(n) as n from (
  select day, cbin, n from pulsebot.latency_daily_total_coarse
  union all
  select day, pulsebot.latency_coarse(bin), n from pulsebot.latency_daily_total_pending
) c
group by 1, 2;

-- As in 000020, without the coarse bins.
create or replace function pulsebot.merge_daily(tz text) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  appended bigint;
begin
  with b as materialized (
    select (b.bucket at time zone tz)::date as day, m.ps_id, b.dim_id, b.bin, b.error_code, b.requests, b.cost_usd,
           b.input_tokens, b.output_tokens, b.images, b.video_seconds, b.latency_sum, b.negative_cost_rows
    from pg_temp.pulsebot_batch_15m b join pulsebot.usage_dims m on m.id = b.dim_id
  ), d as (
    select day, dim_id, sum(requests) as requests, sum(case when error_code is null then requests else 0 end) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin is not null then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows
    from b group by 1, 2
  ), upd as (
    update pulsebot.usage_daily t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.day = d.day and t.dim_id = d.dim_id
    returning t.day, t.dim_id
  ), ins as (
    insert into pulsebot.usage_daily
    select d.* from d
    where d.requests <> 0 and not exists (select 1 from upd where upd.day = d.day and upd.dim_id = d.dim_id)
  ), hist as (
    insert into pulsebot.latency_daily_pending (day, ps_id, bin, n)
    select day, ps_id, bin, sum(requests) from b where bin is not null group by 1, 2, 3 having sum(requests) <> 0
    returning 1
  ), total as (
    insert into pulsebot.latency_daily_total_pending (day, bin, n)
    select day, bin, sum(requests) from b where bin is not null group by 1, 2 having sum(requests) <> 0
    returning 1
  )
  select (select count(*) from hist) + (select count(*) from total) into appended;

  -- A statement cannot delete a row it updated itself: days and bins that reached zero go here.
  if exists (select 1 from pg_temp.pulsebot_batch_15m where requests < 0) then
    delete from pulsebot.usage_daily t
    using (select distinct (b.bucket at time zone tz)::date as day, b.dim_id from pg_temp.pulsebot_batch_15m b where b.requests < 0) k
    where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
  end if;
  return appended;
end
$$;
revoke execute on function pulsebot.merge_daily(text) from public;

-- As in 000016, and the coarse bins of what it merges; the count of pending rows reset.
create or replace function pulsebot.merge_pending_daily() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  merged bigint;
  total_rows bigint;
begin
  create temp table pulsebot_compact_hist on commit drop as
  with taken as (delete from pulsebot.latency_daily_pending returning *)
  select day, ps_id, bin, sum(n) as n from taken group by 1, 2, 3;
  get diagnostics merged = row_count;
  with d as (
    select * from pg_temp.pulsebot_compact_hist where n <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_daily t set n = t.n + d.n
    from d where t.day = d.day and t.ps_id = d.ps_id and t.bin = d.bin
    returning t.day, t.ps_id, t.bin
  ), ins as (
    insert into pulsebot.latency_daily
    select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.ps_id = d.ps_id and upd.bin = d.bin)
  )
  insert into pulsebot.latency_daily_coarse as t (day, ps_id, cbin, n)
  select day, ps_id, pulsebot.latency_coarse(bin), sum(n) from pg_temp.pulsebot_compact_hist
  group by 1, 2, 3 having sum(n) <> 0
  on conflict (day, ps_id, cbin) do update set n = t.n + excluded.n;
  if exists (select 1 from pg_temp.pulsebot_compact_hist where n < 0) then
    delete from pulsebot.latency_daily t using pg_temp.pulsebot_compact_hist k
    where k.n < 0 and t.day = k.day and t.ps_id = k.ps_id and t.bin = k.bin and t.n = 0;
    delete from pulsebot.latency_daily_coarse t using (select distinct day, ps_id, pulsebot.latency_coarse(bin) as cbin from pg_temp.pulsebot_compact_hist where n < 0) k
    where t.day = k.day and t.ps_id = k.ps_id and t.cbin = k.cbin and t.n = 0;
  end if;

  create temp table pulsebot_compact_total on commit drop as
  with taken as (delete from pulsebot.latency_daily_total_pending returning *)
  select day, bin, sum(n) as n from taken group by 1, 2;
  get diagnostics total_rows = row_count;
  with d as (
    select * from pg_temp.pulsebot_compact_total where n <> 0 order by 1, 2
  ), upd as (
    update pulsebot.latency_daily_total t set n = t.n + d.n
    from d where t.day = d.day and t.bin = d.bin
    returning t.day, t.bin
  ), ins as (
    insert into pulsebot.latency_daily_total
    select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.bin = d.bin)
  )
  insert into pulsebot.latency_daily_total_coarse as t (day, cbin, n)
  select day, pulsebot.latency_coarse(bin), sum(n) from pg_temp.pulsebot_compact_total
  group by 1, 2 having sum(n) <> 0
  on conflict (day, cbin) do update set n = t.n + excluded.n;
  if exists (select 1 from pg_temp.pulsebot_compact_total where n < 0) then
    delete from pulsebot.latency_daily_total t using pg_temp.pulsebot_compact_total k
    where k.n < 0 and t.day = k.day and t.bin = k.bin and t.n = 0;
    delete from pulsebot.latency_daily_total_coarse t using (select distinct day, pulsebot.latency_coarse(bin) as cbin from pg_temp.pulsebot_compact_total where n < 0) k
    where t.day = k.day and t.cbin = k.cbin and t.n = 0;
  end if;

  drop table pg_temp.pulsebot_compact_hist, pg_temp.pulsebot_compact_total;
  update pulsebot.rollup_state set histogram_rows = 0;
  return merged + total_rows;
end
$$;
revoke execute on function pulsebot.merge_pending_daily() from public;

-- As in 000021, counting the daily histogram rows it appends and merging them at the threshold.
create or replace function pulsebot.fold_changes() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB'
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  today date := (now() at time zone pulsebot.dashboard_timezone())::date;
  st pulsebot.rollup_state;
  folded bigint := 0;
  appended bigint := 0;
  daily_appended bigint := 0;
  keep_from date;
  t record;
  p record;
  lap timestamptz := clock_timestamp();
  profile text := '';
begin
  -- One fold at a time, never beside a part (fold_taken() holds this lock shared).
  perform pg_advisory_xact_lock(1886221428);
  perform 1 from pulsebot.taken_parts for update;
  select * into st from pulsebot.rollup_state for update;

  if st.needs_rebuild or st.timezone is distinct from tz then
    truncate pulsebot.usage_15m, pulsebot.usage_daily, pulsebot.errors_15m, pulsebot.latency_15m,
             pulsebot.latency_daily, pulsebot.latency_daily_total, pulsebot.latency_daily_pending,
             pulsebot.latency_daily_total_pending, pulsebot.pending_15m, pulsebot.user_day_bits,
             pulsebot.model_user_day_bits, pulsebot.model_user_days, pulsebot.model_user_days_pending_batches;
    -- api_usage holds every detached row too.
    truncate pulsebot.usage_changes_taken;
    update pulsebot.taken_parts set pending = false, folded_rows = 0, detached_at = null;
    perform pulsebot.reload_changes_from_usage();
    update pulsebot.rollup_state set needs_rebuild = false, timezone = tz, rebuilt_at = now(), pruned_before = null, pending_rows = 0,
      histogram_rows = 0;
    st.pruned_before := null;
    st.pending_rows := 0;
  end if;
  keep_from := coalesce(st.pruned_before, date '-infinity');

  perform pulsebot.prepare_batch();
  for p in select * from pulsebot.taken_parts where detached_at is not null order by part loop
    if p.pending then
      -- Measures into the session's batch tables (merged below); user sets folded whole.
      t := pulsebot.take_taken_part(p.part, tz, keep_from);
      folded := folded + t.taken;
      appended := appended + t.appended;
    else
      folded := folded + p.folded_rows;
    end if;
  end loop;
  if found then
    truncate pulsebot.usage_changes_taken;
    update pulsebot.taken_parts set pending = false, folded_rows = 0, detached_at = null;
  end if;

  t := pulsebot.take_changes(tz, keep_from);
  folded := folded + t.taken;
  appended := appended + t.appended;
  -- Rows naming a provider/model combination seen for the first time stay in the log (only rows
  -- with dictionary ids are taken); register the new ones and take those rows too.
  if exists (select 1 from pulsebot.usage_changes) then
    perform pulsebot.register_dims();
    t := pulsebot.take_changes(tz, keep_from);
    folded := folded + t.taken;
    appended := appended + t.appended;
    -- Both takes may name one (day, user, model) key (a writer committed in between): one row a
    -- key, or a key inserted by one row would hide the other's delta.
    create temp table pulsebot_user_keys on commit drop as
    select day, user_id, dim_id, sum(dn) as dn from pg_temp.pulsebot_user_batch group by 1, 2, 3 having sum(dn) <> 0;
    truncate pg_temp.pulsebot_user_batch;
    insert into pg_temp.pulsebot_user_batch select * from pg_temp.pulsebot_user_keys;
    drop table pg_temp.pulsebot_user_keys;
  end if;
  profile := format('take=%s', pulsebot.ms_since(lap));
  lap := clock_timestamp();
  if exists (select 1 from pg_temp.pulsebot_batch_15m) then
    -- Its histogram rows are not counted in pending_rows: every `pulsebot refresh` merges them
    -- (compact_daily_histograms), and compact_rollups() too.
    daily_appended := pulsebot.merge_daily(tz);
    profile := profile || format(' daily=%s', pulsebot.ms_since(lap));
    lap := clock_timestamp();
  end if;
  if exists (select 1 from pg_temp.pulsebot_user_batch) then
    appended := appended + pulsebot.fold_user_sets(today);
    profile := profile || format(' users=%s', pulsebot.ms_since(lap));
    lap := clock_timestamp();
  end if;

  -- Once a day, forget user sets older than the dashboard needs (90 days + margin; the model
  -- bitmaps, 30 days + margin).
  if st.pruned_before is null or st.pruned_before < today - 100 then
    keep_from := today - 100;
    delete from pulsebot.user_day_bits where day < keep_from;
    delete from pulsebot.model_user_days where day < keep_from;
    with old as (delete from pulsebot.model_user_days_pending_batches returning *),
    kept as (
      select k.* from old cross join lateral unnest(old.days, old.user_ids, old.dim_ids, old.dns) as k(day, user_id, dim_id, dn)
      where k.day >= keep_from
    )
    insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
    select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from kept having count(*) > 0;
    delete from pulsebot.model_user_day_bits where day < pulsebot.model_bits_from(today);
    update pulsebot.rollup_state set pruned_before = keep_from;
  end if;

  -- pending_rows as fold_taken() left it, plus this fold's.
  update pulsebot.rollup_state set last_fold_at = now(), pending_rows = pending_rows + appended,
    histogram_rows = rollup_state.histogram_rows + daily_appended
  returning pending_rows, rollup_state.histogram_rows into st.pending_rows, st.histogram_rows;
  -- `pulsebot refresh` compacts after refreshing once pending reaches compact_after_rows; a
  -- scheduler that never does (pg_cron) is compacted here, so pending stays bounded either way.
  if st.pending_rows >= 4 * st.compact_after_rows then
    perform pulsebot.compact_rollups();
  elsif st.histogram_rows >= st.compact_after_rows then
    -- The views read every pending daily histogram row of their window (000026).
    perform pulsebot.merge_pending_daily();
  end if;
  perform set_config('pulsebot.fold_profile', profile || format(' rest=%s', pulsebot.ms_since(lap)), true);
  return folded;
end
$$;
revoke execute on function pulsebot.fold_changes() from public;

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance']) as v;

-- As in 000020: the coarse bins from rollup and pending.
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
-- The coarse bins holding rank ⌊0.95 (total − 1)⌋ or the rank after it, as hist_quantile() counts.
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
left join active a on a.day = d.date;

create unique index mv_daily_metrics_date_key on public.mv_daily_metrics (date);

-- As in 000022: the coarse bins from rollup and pending.
create materialized view public.mv_provider_performance as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as materialized (
  select (b.today - g)::date as day from bounds b, generate_series(0, 29) as g
),
totals as (
  select m.ps_id, sum(u.requests) as requests, sum(u.successes) as successes,
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
       round(100.0 * t.successes / t.requests, 2) as success_rate,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms
from totals t
join pulsebot.provider_services ps on ps.id = t.ps_id
left join p95 p on p.ps_id = t.ps_id;

create unique index mv_provider_performance_key on public.mv_provider_performance (provider, service_type);

select pulsebot.restore_grants(view_name, acl) from pulsebot_saved_acl;
