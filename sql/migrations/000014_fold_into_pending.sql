-- The fold and compaction of the pending rollups (000012 describes the design).
--
-- fold_changes(): takes the change log (DELETE … RETURNING), appends the batch's measures to
-- pending_15m in the same statement, and settles its user sets; compact_rollups() merges pending
-- into the rollups. Both hold the fold's advisory lock.

drop function pulsebot.fold_removals();
drop function pulsebot.fold_users(date);
drop function pulsebot.fold_measures();
drop function pulsebot.take_batch(text);
drop function pulsebot.prepare_fold_batch();

-- The batch's user deltas and 15-minute groups, reused across folds in a session (temp tables
-- are per session; no catalog churn).
create function pulsebot.prepare_batch() returns void
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass('pg_temp.pulsebot_user_batch') is null then
    create temp table pulsebot_user_batch on commit delete rows as
    select day, user_id, dim_id, n as dn from pulsebot.model_user_days with no data;
    create temp table pulsebot_batch_15m on commit delete rows as
    select * from pulsebot.pending_15m with no data;
  else
    truncate pg_temp.pulsebot_user_batch, pg_temp.pulsebot_batch_15m;
  end if;
end
$$;

-- Takes the change rows this snapshot sees (DELETE … RETURNING: exactly those; rows of open
-- transactions stay for the next fold) and, in the same statement, appends their measures to
-- pending_15m (and keeps those groups for the daily merge) and puts their (day, user, model)
-- deltas in the session's batch table. One pass: the rows are read from the statement's store.
create function pulsebot.take_changes(tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only rows whose dictionary ids exist are taken; the others wait for register_dims().
  with d as (
    delete from pulsebot.usage_changes c using pulsebot.usage_dims m
    where m.provider = coalesce(c.provider, 'unknown') and m.service_type = coalesce(c.service_type, 'unknown')
      and m.model = coalesce(c.model, 'unknown')
    returning c.sign, c.created_at, c.user_id, m.id as dim_id, c.input_tokens, c.output_tokens, c.images,
              c.video_seconds, c.cost_usd, c.latency_ms, c.success, c.error_code
  ), users as (
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select day, user_id, dim_id, sum(sign) from (
      select (created_at at time zone tz)::date as day, user_id, dim_id, sign from d
      where user_id is not null and created_at is not null
    ) r
    where day >= keep_from
    group by 1, 2, 3 having sum(sign) <> 0
  ), measures as (
    insert into pulsebot.pending_15m
    select date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00'), dim_id,
           pulsebot.latency_bin(latency_ms), case when coalesce(success, false) then null else coalesce(error_code, 'unknown') end,
           sum(sign), coalesce(sum(cost_usd) filter (where sign > 0), 0) - coalesce(sum(cost_usd) filter (where sign < 0), 0),
           sum(sign * coalesce(input_tokens, 0)), sum(sign * coalesce(output_tokens, 0)), sum(sign * coalesce(images, 0)),
           coalesce(sum(video_seconds) filter (where sign > 0), 0) - coalesce(sum(video_seconds) filter (where sign < 0), 0),
           coalesce(sum(sign * latency_ms), 0), sum(case when cost_usd < 0 then sign else 0 end)
    from d where created_at is not null
    group by 1, 2, 3, 4
    returning *
  ), kept as (
    insert into pg_temp.pulsebot_batch_15m select * from measures
  )
  select (select count(*) from d), (select count(*) from measures) into taken, appended;
end
$$;

-- Settles the batch's user sets. Every (day, user, model) delta is appended to pending (the count
-- of a key is its rollup row's n plus its pending deltas); what the views count — a user active on
-- a day, a (model, user) pair's latest day — is settled now. Returns the pending rows appended.
create function pulsebot.fold_user_sets() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  appended bigint;
begin
  with pend as (
    insert into pulsebot.model_user_days_pending (day, user_id, dim_id, dn)
    select day, user_id, dim_id, dn from pg_temp.pulsebot_user_batch
    returning 1
  ), gained as (
    -- A user without a day row had no calls that day, so any call now makes them active.
    insert into pulsebot.user_days (day, user_id)
    select distinct day, user_id from pg_temp.pulsebot_user_batch where dn > 0
    on conflict do nothing
    returning day
  ), active as (
    insert into pulsebot.daily_active as a (day, users)
    select day, count(*) from gained group by 1
    on conflict (day) do update set users = a.users + excluded.users
  ), recency as (
    -- Pairs already seen that day or later are filtered by a plain probe first: ON CONFLICT would
    -- lock (write) every conflicting row. The statement triggers on model_user_recency see the
    -- inserts and the updates apart.
    insert into pulsebot.model_user_recency as r (dim_id, user_id, last_day)
    select l.dim_id, l.user_id, l.day
    from (select dim_id, user_id, max(day) as day from pg_temp.pulsebot_user_batch where dn > 0 group by 1, 2) l
    where not exists (select 1 from pulsebot.model_user_recency x
                      where x.dim_id = l.dim_id and x.user_id = l.user_id and x.last_day >= l.day)
    on conflict (dim_id, user_id) do update set last_day = excluded.last_day where r.last_day < excluded.last_day
  )
  select count(*) into appended from pend;

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals();
  end if;
  return appended;
end
$$;

-- Keys that lost rows (the batch is already in pending): a key whose count reached zero is gone;
-- a user's day goes when no model is left that day; a pair whose latest day went moves back to
-- its previous day, if any. Only the keys, days and pairs the removals name are read.
create function pulsebot.fold_user_removals() returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  pairs bigint;
  lowest date;
begin
  -- Pending counts of every key of the users who lost a key (one pass over pending).
  create temp table pulsebot_user_pending on commit drop as
  select p.day, p.user_id, p.dim_id, sum(p.dn) as dn
  from pulsebot.model_user_days_pending p
  where p.user_id in (select user_id from pg_temp.pulsebot_user_batch where dn < 0)
  group by 1, 2, 3;
  -- Probed per key below: a large delete names many keys.
  create index on pg_temp.pulsebot_user_pending (day, user_id, dim_id);
  analyze pg_temp.pulsebot_user_pending;

  create temp table pulsebot_gone on commit drop as
  select l.day, l.user_id, l.dim_id
  from pg_temp.pulsebot_user_batch l
  left join pulsebot.model_user_days t on t.day = l.day and t.user_id = l.user_id and t.dim_id = l.dim_id
  left join pg_temp.pulsebot_user_pending p on p.day = l.day and p.user_id = l.user_id and p.dim_id = l.dim_id
  where l.dn < 0 and coalesce(t.n, 0) + coalesce(p.dn, 0) <= 0;

  with vanished as (
    delete from pulsebot.user_days u
    using (select distinct day, user_id from pg_temp.pulsebot_gone) g
    where u.day = g.day and u.user_id = g.user_id
      and not exists (
        select 1 from (
          select x.dim_id, x.n from pulsebot.model_user_days x where x.day = g.day and x.user_id = g.user_id
          union all
          select p.dim_id, p.dn from pg_temp.pulsebot_user_pending p where p.day = g.day and p.user_id = g.user_id
        ) k group by k.dim_id having sum(k.n) > 0)
    returning u.day
  )
  update pulsebot.daily_active a set users = a.users - v.n
  from (select day, count(*) as n from vanished group by 1) v where a.day = v.day;
  delete from pulsebot.daily_active where users = 0;

  -- The previous latest day of a pair whose latest day went. Few pairs: probed a day at a time
  -- downwards (keys are ordered by day first). Many (a large delete): one pass over the sets.
  create temp table pulsebot_moved_pairs on commit drop as
  select distinct r.dim_id, r.user_id, r.last_day
  from pg_temp.pulsebot_gone g
  join pulsebot.model_user_recency r on r.dim_id = g.dim_id and r.user_id = g.user_id and r.last_day = g.day;
  select count(*) into pairs from pg_temp.pulsebot_moved_pairs;
  select least((select min(day) from pulsebot.model_user_days), (select min(day) from pg_temp.pulsebot_user_pending)) into lowest;

  if pairs * greatest(coalesce(current_date - lowest, 0), 1) <= (select probe_removals_up_to from pulsebot.rollup_state) then
    create temp table pulsebot_previous on commit drop as
    select p.dim_id, p.user_id,
           (select p.last_day - k from generate_series(1, p.last_day - coalesce(lowest, p.last_day)) as k
            where coalesce((select x.n from pulsebot.model_user_days x
                            where x.day = p.last_day - k and x.user_id = p.user_id and x.dim_id = p.dim_id), 0)
                + coalesce((select y.dn from pg_temp.pulsebot_user_pending y
                            where y.day = p.last_day - k and y.user_id = p.user_id and y.dim_id = p.dim_id), 0) > 0
            order by k limit 1) as last_day
    from pg_temp.pulsebot_moved_pairs p;
  else
    create temp table pulsebot_previous on commit drop as
    select p.dim_id, p.user_id, max(k.day) as last_day
    from pg_temp.pulsebot_moved_pairs p
    left join (
      select day, user_id, dim_id from (
        select x.day, x.user_id, x.dim_id, x.n from pulsebot.model_user_days x
        where (x.user_id, x.dim_id) in (select user_id, dim_id from pg_temp.pulsebot_moved_pairs)
        union all
        select y.day, y.user_id, y.dim_id, y.dn from pg_temp.pulsebot_user_pending y
      ) u group by 1, 2, 3 having sum(n) > 0
    ) k on k.user_id = p.user_id and k.dim_id = p.dim_id
    group by 1, 2;
  end if;

  delete from pulsebot.model_user_recency r using pg_temp.pulsebot_previous v
  where v.last_day is null and r.dim_id = v.dim_id and r.user_id = v.user_id;
  update pulsebot.model_user_recency r set last_day = v.last_day from pg_temp.pulsebot_previous v
  where v.last_day is not null and r.dim_id = v.dim_id and r.user_id = v.user_id;
  drop table pg_temp.pulsebot_moved_pairs, pg_temp.pulsebot_previous;
  drop table pg_temp.pulsebot_gone, pg_temp.pulsebot_user_pending;
end
$$;

-- Merges pending into the rollups: each key once, however many batches named it. Keys that only
-- lost rows may reach zero and are removed. Takes the fold's lock, so it never interleaves with a
-- fold; readers see the rollups before or after it, never half of it. Returns pending rows merged.
create function pulsebot.compact_rollups() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB' set random_page_cost = 1.1
as $$
declare
  merged bigint;
  user_rows bigint;
begin
  perform pg_advisory_xact_lock(1886221428);

  create temp table pulsebot_compact on commit drop as
  with taken as (delete from pulsebot.pending_15m returning *)
  select * from taken;
  get diagnostics merged = row_count;
  if merged > 0 then
    analyze pg_temp.pulsebot_compact;
    perform pulsebot.merge_pending_15m();
  end if;

  create temp table pulsebot_compact_users on commit drop as
  with taken as (delete from pulsebot.model_user_days_pending returning *)
  select day, user_id, dim_id, sum(dn) as dn from taken group by 1, 2, 3 having sum(dn) <> 0;
  get diagnostics user_rows = row_count;
  if user_rows > 0 then
    analyze pg_temp.pulsebot_compact_users;
    with upd as (
      update pulsebot.model_user_days t set n = t.n + c.dn
      from pg_temp.pulsebot_compact_users c
      where t.day = c.day and t.user_id = c.user_id and t.dim_id = c.dim_id
      returning t.day, t.user_id, t.dim_id
    )
    insert into pulsebot.model_user_days (day, user_id, dim_id, n)
    select c.day, c.user_id, c.dim_id, c.dn from pg_temp.pulsebot_compact_users c
    where c.dn > 0 and not exists (select 1 from upd where upd.day = c.day and upd.user_id = c.user_id and upd.dim_id = c.dim_id)
    order by 1, 2, 3;
    delete from pulsebot.model_user_days t using pg_temp.pulsebot_compact_users c
    where c.dn < 0 and t.day = c.day and t.user_id = c.user_id and t.dim_id = c.dim_id and t.n <= 0;
  end if;

  drop table pg_temp.pulsebot_compact, pg_temp.pulsebot_compact_users;
  update pulsebot.rollup_state set pending_rows = 0, compacted_at = now();
  return merged + user_rows;
end
$$;

-- The 15-minute rollups from the pending rows taken by compact_rollups(): UPDATE … FROM then
-- INSERT … WHERE NOT EXISTS per table (only the fold's lock holder writes them, so no insert can
-- race). A delta netting to zero on a missing key is not inserted; a key that reaches zero goes.
create function pulsebot.merge_pending_15m() returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
begin
  with d as (
    select bucket, dim_id, sum(requests) as requests, sum(case when error_code is null then requests else 0 end) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin is not null then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows
    from pg_temp.pulsebot_compact group by 1, 2 order by 1, 2
  ), upd as (
    update pulsebot.usage_15m t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id
    returning t.bucket, t.dim_id, t.requests
  )
  insert into pulsebot.usage_15m
  select d.* from d
  where d.requests <> 0 and not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id);
  with d as (
    select bucket, dim_id, error_code, sum(requests) as failures
    from pg_temp.pulsebot_compact where error_code is not null group by 1, 2, 3 having sum(requests) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.errors_15m t set failures = t.failures + d.failures
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.error_code = d.error_code
    returning t.bucket, t.dim_id, t.error_code, t.failures
  )
  insert into pulsebot.errors_15m
  select d.* from d
  where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.error_code = d.error_code);
  with d as (
    select bucket, dim_id, bin, sum(requests) as n
    from pg_temp.pulsebot_compact where bin is not null group by 1, 2, 3 having sum(requests) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_15m t set n = t.n + d.n
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.bin = d.bin
    returning t.bucket, t.dim_id, t.bin, t.n
  )
  insert into pulsebot.latency_15m
  select d.* from d where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.bin = d.bin);
  -- A statement cannot delete a row it updated itself: keys that reached zero go here.
  delete from pulsebot.usage_15m t using (select distinct bucket, dim_id from pg_temp.pulsebot_compact where requests < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.requests = 0;
  delete from pulsebot.errors_15m t using (select distinct bucket, dim_id, error_code from pg_temp.pulsebot_compact where requests < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.error_code = k.error_code and t.failures = 0;
  delete from pulsebot.latency_15m t using (select distinct bucket, dim_id, bin from pg_temp.pulsebot_compact where requests < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.bin = k.bin and t.n = 0;
end
$$;

-- The daily rollups the dashboard views read, merged at every fold from the batch's 15-minute
-- groups (a few thousand keys: a quarter hour lies inside one local day of every real zone).
create function pulsebot.merge_daily(tz text) returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
begin
  create temp table pulsebot_day_batch on commit drop as
  select (b.bucket at time zone tz)::date as day, m.ps_id, b.* from pg_temp.pulsebot_batch_15m b join pulsebot.usage_dims m on m.id = b.dim_id;
  with d as (
    select day, dim_id, sum(requests) as requests, sum(case when error_code is null then requests else 0 end) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin is not null then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows
    from pg_temp.pulsebot_day_batch group by 1, 2 order by 1, 2
  ), upd as (
    update pulsebot.usage_daily t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.day = d.day and t.dim_id = d.dim_id
    returning t.day, t.dim_id, t.requests
  )
  insert into pulsebot.usage_daily
  select d.* from d
  where d.requests <> 0 and not exists (select 1 from upd where upd.day = d.day and upd.dim_id = d.dim_id);
  with d as (
    select day, ps_id, bin, sum(requests) as n
    from pg_temp.pulsebot_day_batch where bin is not null group by 1, 2, 3 having sum(requests) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_daily t set n = t.n + d.n
    from d where t.day = d.day and t.ps_id = d.ps_id and t.bin = d.bin
    returning t.day, t.ps_id, t.bin, t.n
  )
  insert into pulsebot.latency_daily
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.ps_id = d.ps_id and upd.bin = d.bin);
  with d as (
    select day, bin, sum(requests) as n
    from pg_temp.pulsebot_day_batch where bin is not null group by 1, 2 having sum(requests) <> 0 order by 1, 2
  ), upd as (
    update pulsebot.latency_daily_total t set n = t.n + d.n
    from d where t.day = d.day and t.bin = d.bin
    returning t.day, t.bin, t.n
  )
  insert into pulsebot.latency_daily_total
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.bin = d.bin);
  if exists (select 1 from pg_temp.pulsebot_day_batch where requests < 0) then
    delete from pulsebot.usage_daily t using (select distinct day, dim_id from pg_temp.pulsebot_day_batch where requests < 0) k
    where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
    delete from pulsebot.latency_daily t using (select distinct day, ps_id, bin from pg_temp.pulsebot_day_batch where requests < 0) k
    where t.day = k.day and t.ps_id = k.ps_id and t.bin = k.bin and t.n = 0;
    delete from pulsebot.latency_daily_total t using (select distinct day, bin from pg_temp.pulsebot_day_batch where requests < 0) k
    where t.day = k.day and t.bin = k.bin and t.n = 0;
  end if;
  drop table pg_temp.pulsebot_day_batch;
end
$$;

create or replace function pulsebot.fold_changes() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB'
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  st pulsebot.rollup_state;
  folded bigint := 0;
  appended bigint := 0;
  keep_from date;
  t record;
begin
  -- One fold at a time; a second one waits, then folds what is left.
  perform pg_advisory_xact_lock(1886221428);
  select * into st from pulsebot.rollup_state for update;

  if st.needs_rebuild or st.timezone is distinct from tz then
    truncate pulsebot.usage_15m, pulsebot.usage_daily, pulsebot.errors_15m, pulsebot.latency_15m,
             pulsebot.latency_daily, pulsebot.latency_daily_total, pulsebot.daily_active, pulsebot.pending_15m,
             pulsebot.user_days, pulsebot.model_user_days, pulsebot.model_user_days_pending,
             pulsebot.model_user_recency, pulsebot.recency_days;
    perform pulsebot.reload_changes_from_usage();
    update pulsebot.rollup_state set needs_rebuild = false, timezone = tz, rebuilt_at = now(), pruned_before = null, pending_rows = 0;
    st.pruned_before := null;
    st.pending_rows := 0;
  end if;
  keep_from := coalesce(st.pruned_before, date '-infinity');

  perform pulsebot.prepare_batch();
  t := pulsebot.take_changes(tz, keep_from);
  folded := t.taken;
  appended := t.appended;
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
  if folded > 0 then
    perform pulsebot.merge_daily(tz);
    appended := appended + pulsebot.fold_user_sets();
  end if;

  -- Once a day, forget distinct-user sets older than the dashboard needs (90 days + margin).
  if st.pruned_before is null or st.pruned_before < (now() at time zone tz)::date - 100 then
    keep_from := (now() at time zone tz)::date - 100;
    delete from pulsebot.user_days where day < keep_from;
    delete from pulsebot.model_user_days where day < keep_from;
    delete from pulsebot.model_user_days_pending where day < keep_from;
    delete from pulsebot.model_user_recency where last_day < keep_from;
    delete from pulsebot.daily_active where day < keep_from;
    update pulsebot.rollup_state set pruned_before = keep_from;
  end if;

  update pulsebot.rollup_state set last_fold_at = now(), pending_rows = pending_rows + appended;
  -- `pulsebot refresh` compacts after refreshing once pending reaches compact_after_rows; a
  -- scheduler that never does (pg_cron) is compacted here, so pending stays bounded either way.
  if st.pending_rows + appended >= 4 * st.compact_after_rows then
    perform pulsebot.compact_rollups();
  end if;
  return folded;
end
$$;

revoke execute on function pulsebot.fold_changes(), pulsebot.compact_rollups(), pulsebot.merge_pending_15m(), pulsebot.merge_daily(text),
  pulsebot.take_changes(text, date), pulsebot.fold_user_sets(), pulsebot.fold_user_removals(),
  pulsebot.prepare_batch() from public;
