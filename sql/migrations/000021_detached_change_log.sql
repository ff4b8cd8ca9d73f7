-- `pulsebot refresh` folds a batch in parallel: it detaches the change log (a table swap), folds
-- the detached rows' measures and their user sets in two transactions at once, then refreshes the
-- three views at once. refresh_analytics_views() (pg_cron) still does it all in one transaction.
--
-- Why (profiled at 10M rows, 100k-row batch): the fold's DELETE of the rows it took cost 50-80 ms
-- (an xmax and a WAL record per row), and the fold and the view refreshes ran one after another
-- on one core of two. A detached log holds only committed rows, none of which a writer can still
-- touch, so it is read without a snapshot filter and emptied by TRUNCATE.
--
-- The swap: usage_changes (what the capture triggers write, by name) and usage_changes_taken
-- trade names under ACCESS EXCLUSIVE locks, in a transaction of its own. The lock waits for every
-- writer that has written change rows and not committed (they hold ROW EXCLUSIVE until commit),
-- so the detached table holds committed rows only; writers that come after resolve the name again
-- (a rename invalidates their cached plans) and write the other table. Writers queue behind the
-- swap for as long as it waits: lock_timeout bounds that at 100 ms, after which the refresh
-- folds through the DELETE path as before. Any column added to usage_changes must be added to
-- usage_changes_taken too.
--
-- Locks: the parts take the fold's advisory lock shared (they run together, never beside a fold,
-- a compaction or a swap, which take it exclusively) and their own row of taken_parts, so a part
-- is folded once. A part that fails stays pending and fold_changes() folds it; the detached table
-- is emptied only by fold_changes(), once both parts are folded.
--
-- The users part writes its (day, user, model) deltas straight from the aggregate into its
-- pending batch row and sets the bitmaps from that row's arrays, instead of staging ~50,000 keys
-- in a temporary table (~28 ms to write, 3-7 ms a read, three reads) as the DELETE path does.
-- Both paths set bits through fold_user_bits().

create table pulsebot.usage_changes_taken (like pulsebot.usage_changes);
comment on table pulsebot.usage_changes_taken is
  'Change rows detached from pulsebot.usage_changes by `pulsebot refresh` (a table swap), waiting to be folded; empty otherwise.';

create table pulsebot.taken_parts (
  part        text primary key check (part in ('measures', 'users')),
  pending     boolean not null default false,
  folded_rows bigint not null default 0,
  detached_at timestamptz
);
insert into pulsebot.taken_parts (part) values ('measures'), ('users');

-- Swaps the change log out when there is something to fold, nothing detached is still waiting,
-- and no fold, part or compaction is running. Call it in a transaction of its own: the renamed
-- tables stay locked until it commits. Returns whether it swapped.
create function pulsebot.detach_changes() returns boolean
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  st pulsebot.rollup_state;
  caller_lock_timeout text := current_setting('lock_timeout');
begin
  if not pg_try_advisory_xact_lock(1886221428) then return false; end if;
  select * into st from pulsebot.rollup_state;
  -- A rebuild starts from api_usage (fold_changes()); a batch still detached is folded first.
  if st.needs_rebuild or st.timezone is distinct from pulsebot.dashboard_timezone()
     or exists (select 1 from pulsebot.taken_parts where pending or detached_at is not null)
     or not exists (select 1 from pulsebot.usage_changes) then
    return false;
  end if;
  begin
    perform set_config('lock_timeout', '100ms', true);
    lock table pulsebot.usage_changes, pulsebot.usage_changes_taken in access exclusive mode;
    perform set_config('lock_timeout', caller_lock_timeout, true);
  exception when lock_not_available then
    return false;
  end;
  -- Rows a failed swap's transaction left cannot exist (it rolled back), but an emptied table
  -- is the contract: never detach onto rows that were not folded.
  if exists (select 1 from pulsebot.usage_changes_taken) then return false; end if;
  alter table pulsebot.usage_changes rename to usage_changes_swapping;
  alter table pulsebot.usage_changes_taken rename to usage_changes;
  alter table pulsebot.usage_changes_swapping rename to usage_changes_taken;
  update pulsebot.taken_parts set pending = true, folded_rows = 0, detached_at = now();
  return true;
end
$$;

-- As in 000018, over the log and the detached rows: keys for provider/model combinations seen
-- for the first time, and rows whose key is not their names' get it.
create or replace function pulsebot.register_dims() returns void
  language sql set search_path = pg_catalog, pg_temp
as $$
  insert into pulsebot.provider_services (provider, service_type)
  select distinct coalesce(provider, 'unknown'), coalesce(service_type, 'unknown')
  from (select provider, service_type from pulsebot.usage_changes
        union all select provider, service_type from pulsebot.usage_changes_taken) c
  on conflict do nothing;
  insert into pulsebot.usage_dims (provider, service_type, model, ps_id)
  select c.provider, c.service_type, c.model, ps.id
  from (select distinct coalesce(provider, 'unknown') as provider, coalesce(service_type, 'unknown') as service_type,
               coalesce(model, 'unknown') as model
        from (select provider, service_type, model from pulsebot.usage_changes
              union all select provider, service_type, model from pulsebot.usage_changes_taken) r) c
  join pulsebot.provider_services ps on ps.provider = c.provider and ps.service_type = c.service_type
  on conflict do nothing;
  update pulsebot.usage_changes c set dim_key = pulsebot.dim_key(c.provider, c.service_type, c.model)
  where c.dim_key is distinct from pulsebot.dim_key(c.provider, c.service_type, c.model);
  update pulsebot.usage_changes_taken c set dim_key = pulsebot.dim_key(c.provider, c.service_type, c.model)
  where c.dim_key is distinct from pulsebot.dim_key(c.provider, c.service_type, c.model);
$$;

-- The measures of every detached row, appended to pending_15m and kept in the session's batch
-- for merge_daily(), as take_changes() does for the log. Groups whose key is not in the
-- dictionary stop the statement (SQLSTATE PB001): the caller registers them and takes again.
create function pulsebot.take_taken_measures(tz text, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  missing bigint;
begin
  with g as (
    select date_bin('15 minutes', c.created_at, timestamptz '2000-01-01 00:00:00+00') as bucket, c.dim_key,
           coalesce(c.bin, pulsebot.latency_bin(c.latency_ms)) as bin,
           case when coalesce(c.success, false) then null else coalesce(c.error_code, 'unknown') end as error_code,
           count(*) as change_rows,
           sum(c.sign) as requests,
           pulsebot.sum_int8(c.sign * c.cost_micros) as cost_micros,
           sum(c.sign * c.cost_usd) filter (where c.cost_micros is null and c.cost_usd is not null) as cost_numeric,
           pulsebot.sum_int8(c.sign * c.input_tokens) as input_tokens,
           pulsebot.sum_int8(c.sign * c.output_tokens) as output_tokens,
           pulsebot.sum_int8(c.sign * c.images) as images,
           pulsebot.sum_int8(c.sign * c.video_micros) as video_micros,
           sum(c.sign * c.video_seconds) filter (where c.video_micros is null and c.video_seconds is not null) as video_numeric,
           sum(c.sign * c.latency_ms) as latency_sum,
           sum(c.sign) filter (where c.cost_micros < 0 or (c.cost_micros is null and c.cost_usd < 0)) as negative_cost_rows
    from pulsebot.usage_changes_taken c
    where c.created_at is not null
    group by 1, 2, 3, 4
  ), j as (
    select g.*, m.id as dim_id from g left join pulsebot.usage_dims m on m.key = g.dim_key
  ), measures as (
    insert into pulsebot.pending_15m
    select j.bucket, j.dim_id, j.bin, j.error_code, j.requests,
           coalesce(j.cost_micros, 0) * 0.000001 + coalesce(j.cost_numeric, 0),
           coalesce(j.input_tokens, 0), coalesce(j.output_tokens, 0), coalesce(j.images, 0),
           coalesce(j.video_micros, 0) * 0.000001 + coalesce(j.video_numeric, 0),
           coalesce(j.latency_sum, 0), coalesce(j.negative_cost_rows, 0)
    from j where j.dim_id is not null
    returning *
  ), kept as (
    insert into pg_temp.pulsebot_batch_15m select * from measures
  )
  select (select coalesce(sum(change_rows), 0) from j), (select count(*) from measures), (select count(*) from j where j.dim_id is null)
  into taken, appended, missing;
  if missing > 0 then
    raise sqlstate 'PB001' using message = format('%s groups of detached change rows name unregistered provider/model keys', missing);
  end if;
end
$$;

-- Numbers the new users of a batch of (day, user, model) deltas, given as the arrays of its
-- pending batch row, and sets the bits the positive deltas add (only those: see 000019).
-- Polymorphic in the user id's type (that of api_usage.user_id).
--
-- Custom plans only: unnest() of an array parameter is then estimated at the array's length;
-- a generic plan takes it for 100 rows and probes indexes once per key (~50,000 probes of
-- user_numbers and of each bitmap table, ~45 ms each, measured) where hash joins read them once.
create function pulsebot.fold_user_bits(days date[], user_ids anyarray, dim_ids integer[], dns bigint[], today date) returns void
  language plpgsql set search_path = pg_catalog, pg_temp set plan_cache_mode = force_custom_plan
as $$
begin
  -- Only the fold's lock holders number users (a users part or a fold: never both at once).
  insert into pulsebot.user_numbers (user_id)
  select distinct k.user_id from unnest(user_ids, dns) as k(user_id, dn)
  where k.dn > 0 and not exists (select 1 from pulsebot.user_numbers n where n.user_id = k.user_id);

  with k as materialized (
    select k.day, k.dim_id, pulsebot.user_block(n.uid) as block, pulsebot.user_bit(n.uid) as bit
    from unnest(days, user_ids, dim_ids, dns) as k(day, user_id, dim_id, dn)
    join pulsebot.user_numbers n on n.user_id = k.user_id
    where k.dn > 0
  ), day_bits as (
    insert into pulsebot.user_day_bits as t (day, block, bits)
    select k.day, k.block, pulsebot.bits_of(k.bit, 1)
    from k left join pulsebot.user_day_bits x on x.day = k.day and x.block = k.block
    where x.bits is null or pg_catalog.get_bit(x.bits, k.bit) = 0
    group by 1, 2
    on conflict (day, block) do update set bits = t.bits | excluded.bits
  )
  insert into pulsebot.model_user_day_bits as t (day, dim_id, block, bits)
  select k.day, k.dim_id, k.block, pulsebot.bits_of(k.bit, 1)
  from k left join pulsebot.model_user_day_bits x on x.day = k.day and x.dim_id = k.dim_id and x.block = k.block
  where k.day >= pulsebot.model_bits_from(today) and (x.bits is null or pg_catalog.get_bit(x.bits, k.bit) = 0)
  group by 1, 2, 3
  on conflict (day, dim_id, block) do update set bits = t.bits | excluded.bits;
end
$$;

-- Folds the user sets of every detached row; returns the keys appended to pending (0 if none).
-- Raises SQLSTATE PB001 before writing anything when a key is not in the dictionary (see
-- take_taken_part()). Removals go through fold_user_removals(), which reads the session's user
-- batch (prepare_batch(), and empty: the callers fold this part before taking the log): it is
-- filled for that and emptied again, so the take that follows in fold_changes() starts empty.
create function pulsebot.fold_taken_user_sets(tz text, keep_from date, today date) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  batch tid;
  appended bigint;
  missing bigint;
  removals boolean;
begin
  with g as (
    select (c.created_at at time zone tz)::date as day, c.user_id, c.dim_key, sum(c.sign) as dn
    from pulsebot.usage_changes_taken c
    where c.user_id is not null and c.created_at is not null
    group by 1, 2, 3 having sum(c.sign) <> 0
  ), a as (
    select array_agg(g.day) as days, array_agg(g.user_id) as user_ids, array_agg(m.id) as dim_ids, array_agg(g.dn) as dns,
           count(*) filter (where m.id is null) as missing, coalesce(bool_or(g.dn < 0), false) as removals
    from g left join pulsebot.usage_dims m on m.key = g.dim_key
    where g.day >= keep_from
  ), ins as (
    insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
    select a.days, a.user_ids, a.dim_ids, a.dns from a where a.missing = 0 and a.days is not null
    returning ctid, pg_catalog.cardinality(days) as n
  )
  select a.missing, a.removals, ins.ctid, ins.n into missing, removals, batch, appended from a left join ins on true;
  if missing > 0 then
    raise sqlstate 'PB001' using message = format('%s detached (day, user) keys name unregistered provider/model keys', missing);
  end if;
  if batch is null then return 0; end if;

  perform pulsebot.fold_user_bits(b.days, b.user_ids, b.dim_ids, b.dns, today)
  from pulsebot.model_user_days_pending_batches b where b.ctid = batch;

  if removals then
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select k.day, k.user_id, k.dim_id, k.dn
    from pulsebot.model_user_days_pending_batches b
    cross join lateral unnest(b.days, b.user_ids, b.dim_ids, b.dns) as k(day, user_id, dim_id, dn)
    where b.ctid = batch;
    perform pulsebot.fold_user_removals(today);
    truncate pg_temp.pulsebot_user_batch;
  end if;
  return appended;
end
$$;

-- Takes one part of the detached rows, registering unknown provider/model combinations first if
-- it must: 'measures' into the session's batch tables (returns the change rows taken and the
-- pending rows appended), 'users' folded whole by fold_taken_user_sets() (returns the keys appended).
create function pulsebot.take_taken_part(part text, tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  for attempt in 1..2 loop
    begin
      if part = 'measures' then
        select t.taken, t.appended into taken, appended from pulsebot.take_taken_measures(tz) t;
      else
        taken := 0;
        appended := pulsebot.fold_taken_user_sets(tz, keep_from, (now() at time zone tz)::date);
      end if;
      return;
    exception when sqlstate 'PB001' then
      if attempt = 2 then raise; end if;
    end;
    perform pulsebot.register_dims();
  end loop;
end
$$;

-- Folds one part of a detached batch into the rollups (measures: pending_15m and the daily
-- rollups; users: the user sets), in the caller's transaction. Returns the change rows folded
-- ('measures'), 0 when there was nothing to do.
create function pulsebot.fold_taken(part text) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB'
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  st pulsebot.rollup_state;
  todo boolean;
  t record;
begin
  perform pg_advisory_xact_lock_shared(1886221428);
  select p.pending into todo from pulsebot.taken_parts p where p.part = fold_taken.part for update;
  if not coalesce(todo, false) then return 0; end if;
  select * into st from pulsebot.rollup_state;
  -- fold_changes() rebuilds from api_usage, which holds the detached rows too.
  if st.needs_rebuild or st.timezone is distinct from tz then return 0; end if;

  perform pulsebot.prepare_batch();
  t := pulsebot.take_taken_part(part, tz, coalesce(st.pruned_before, date '-infinity'));
  if part = 'measures' then perform pulsebot.merge_daily(tz); end if;
  update pulsebot.taken_parts p set pending = false, folded_rows = t.taken where p.part = fold_taken.part;
  update pulsebot.rollup_state set pending_rows = pending_rows + t.appended;
  return t.taken;
end
$$;

-- As in 000019, through fold_user_bits(): one implementation of the bits for both ways.
create or replace function pulsebot.fold_user_sets(today date) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  batch tid;
  appended bigint;
begin
  insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
  select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from pg_temp.pulsebot_user_batch
  having count(*) > 0
  returning ctid, pg_catalog.cardinality(days) into batch, appended;
  if batch is null then return 0; end if;

  perform pulsebot.fold_user_bits(b.days, b.user_ids, b.dim_ids, b.dns, today)
  from pulsebot.model_user_days_pending_batches b where b.ctid = batch;

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals(today);
  end if;
  return appended;
end
$$;

-- As in 000016, and first the detached batch: the parts no fold_taken() folded, then TRUNCATE.
-- Rows folded by fold_taken() count in the returned total.
create or replace function pulsebot.fold_changes() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB'
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  today date := (now() at time zone pulsebot.dashboard_timezone())::date;
  st pulsebot.rollup_state;
  folded bigint := 0;
  appended bigint := 0;
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
    update pulsebot.rollup_state set needs_rebuild = false, timezone = tz, rebuilt_at = now(), pruned_before = null, pending_rows = 0;
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
    perform pulsebot.merge_daily(tz);
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
  update pulsebot.rollup_state set last_fold_at = now(), pending_rows = pending_rows + appended
  returning pending_rows into st.pending_rows;
  -- `pulsebot refresh` compacts after refreshing once pending reaches compact_after_rows; a
  -- scheduler that never does (pg_cron) is compacted here, so pending stays bounded either way.
  if st.pending_rows >= 4 * st.compact_after_rows then
    perform pulsebot.compact_rollups();
  end if;
  perform set_config('pulsebot.fold_profile', profile || format(' rest=%s', pulsebot.ms_since(lap)), true);
  return folded;
end
$$;

revoke execute on function pulsebot.detach_changes(), pulsebot.register_dims(), pulsebot.take_taken_measures(text),
  pulsebot.fold_user_bits(date[], anyarray, integer[], bigint[], date), pulsebot.fold_taken_user_sets(text, date, date),
  pulsebot.fold_user_sets(date), pulsebot.take_taken_part(text, text, date), pulsebot.fold_taken(text),
  pulsebot.fold_changes() from public;
