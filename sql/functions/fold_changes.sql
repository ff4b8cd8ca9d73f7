-- The whole fold, under the fold's advisory lock (exclusive: never beside a part or compaction).
-- Rebuilds from api_usage when due, folds detached parts still pending, takes the log through
-- take_changes(), forgets user data older than the views need once a day, and compacts by itself
-- at 4 × compact_after_rows, so a scheduler that calls only refresh_analytics_views() stays bounded.
CREATE OR REPLACE FUNCTION pulsebot.fold_changes()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET work_mem TO '64MB'
AS $function$
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
  if exists (select 1 from pg_temp.pulsebot_batch_15m) then
    -- Its histogram rows are not counted in pending_rows: every `pulsebot refresh` merges them
    -- (compact_daily_histograms), and compact_rollups() too.
    daily_appended := pulsebot.merge_daily(tz);
  end if;
  if exists (select 1 from pg_temp.pulsebot_user_batch) then
    appended := appended + pulsebot.fold_user_sets(today);
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
    -- The views read every pending daily histogram row of their window.
    perform pulsebot.merge_pending_daily();
  end if;
  return folded;
end
$function$;

revoke all on function pulsebot.fold_changes() from public;
