-- The users part of a detached batch folds its (day, user, model) deltas straight from the
-- aggregate into its pending batch row, and sets the bitmaps from that row, instead of staging
-- ~50,000 keys in a temporary table and reading them back three times.
--
-- Why (10M rows, 100k-row batch, warm): writing the keys to the temporary table cost ~28 ms and
-- each read of it 3-7 ms, out of a users part of ~160 ms; the batch row (uncompressed arrays) is
-- written anyway and reads back by its ctid.

-- Numbers the new users of a batch of (day, user, model) deltas, given as the arrays of its
-- pending batch row, and sets the bits the positive deltas add, as fold_user_sets() (000019) does
-- from the session's batch table. Polymorphic in the user id's type (that of api_usage.user_id).
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

-- As in 000021; 'users' now folds the user sets whole (fold_taken_user_sets()) and returns the
-- keys it appended.
create or replace function pulsebot.take_taken_part(part text, tz text, keep_from date, out taken bigint, out appended bigint)
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
    perform pulsebot.register_taken_dims();
  end loop;
end
$$;

-- As in 000021, with the users part folded by take_taken_part().
create or replace function pulsebot.fold_taken(part text) returns bigint
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

drop function pulsebot.take_taken_users(text, date);

revoke execute on function pulsebot.fold_user_bits(date[], anyarray, integer[], bigint[], date), pulsebot.fold_taken_user_sets(text, date, date), pulsebot.take_taken_part(text, text, date),
  pulsebot.fold_taken(text) from public;
