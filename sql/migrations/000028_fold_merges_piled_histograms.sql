-- The fold merges the pending daily histograms itself once they pile up, as it compacts the rest
-- at four times compact_after_rows.
--
-- Why: since 000026 the views group every pending daily histogram row of their window by coarse
-- bin, so what they read grows with those rows. `pulsebot refresh` merges them after every
-- refresh (compact_daily_histograms()); a scheduler that only calls refresh_analytics_views()
-- left them to the full compaction, which counts other rows: pending_15m rows and user keys. How
-- many histogram rows that allowed depended on the traffic: ~270,000 with the bench's batches
-- (17,653 histogram rows to 65,165 pending rows each), more with fewer users. Now the fold counts
-- the daily histogram rows it appends (those of rows arriving through the log; the detached
-- parts' are merged by `pulsebot refresh` right after) and merges them at compact_after_rows.

alter table pulsebot.rollup_state add column histogram_rows bigint not null default 0;
update pulsebot.rollup_state set histogram_rows = (select count(*) from pulsebot.latency_daily_pending)
  + (select count(*) from pulsebot.latency_daily_total_pending);

-- As in 000026, and the count reset.
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


-- As in 000021, counting the daily histogram rows it appends.
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


revoke execute on function pulsebot.merge_pending_daily(), pulsebot.fold_changes() from public;
