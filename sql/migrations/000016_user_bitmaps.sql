-- Distinct users as bitmaps, daily histograms as pending deltas: a fold writes a few hundred rows
-- where it wrote tens of thousands of scattered index entries.
--
-- Why (measured at 10M rows, a batch of 100k changes, 10% back-dated across 90 days): the fold
-- inserted ~7,000 back-dated (day, user) keys into a 1M-key index, updated ~18,000 scattered daily
-- histogram keys in place and read ~90,000 (model, user) latest-day rows to filter its pairs.
-- Each scattered key dirties its own page (a full-page image in the WAL after every checkpoint):
-- ~80 MB of WAL and ~450 ms per fold. Now:
--   * every user gets a small number (pulsebot.user_numbers, dense from 0);
--   * who was active on a day is a bitmap per (day, block of 4,096 user numbers); who used a
--     model on a day a bitmap per (day, model, block), kept for the views' 30-day window (+2 days
--     of margin). A batch sets bits in a few hundred rows; active users = bit_count, unique users
--     of a model over 30 days = bit_count of the OR of 30 days. Exact, and a delete clears a bit
--     when the (day, user, model) count — kept as before in model_user_days + pending — is zero;
--   * a batch's (day, user, model) count deltas are appended as one row of arrays
--     (model_user_days_pending_batches) instead of a row each (~51,000 rows for 100k changes);
--     model_user_days_pending is now a view that unnests them, for its readers;
--   * the daily latency histograms get their deltas appended (latency_daily_pending,
--     latency_daily_total_pending); readers use the *_live views (rollup ∪ pending, summed) and
--     the compaction merges them, as for the 15-minute rollups.

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs']) as v;

-- Bit i of a block holds user number 4096 × block + i. Plain SQL, inlined into the fold.
create function pulsebot.user_block(uid integer) returns integer
  language sql immutable parallel safe as $$ select uid >> 12 $$;
create function pulsebot.user_bit(uid integer) returns integer
  language sql immutable parallel safe as $$ select uid & 4095 $$;

-- bits_of(bit, 1): a 4,096-bit block with the given bits set (set_bit is the transition function,
-- so building a block costs one C call per user).
do $$
begin
  execute format('create aggregate pulsebot.bits_of(integer, integer) (sfunc = pg_catalog.set_bit, stype = bit, initcond = %L)',
                 repeat('0', 4096));
end
$$;

do $$
declare
  user_type text;
begin
  select format_type(a.atttypid, a.atttypmod) into user_type
  from pg_attribute a where a.attrelid = 'pulsebot.model_user_days'::regclass and a.attname = 'user_id';
  execute format($t$
    create table pulsebot.user_numbers (
      user_id %1$s primary key,
      uid     integer generated always as identity (minvalue 0 start with 0) unique
    )$t$, user_type);
end
$$;

create table pulsebot.user_day_bits (
  day   date not null,
  block integer not null,
  bits  bit(4096) not null,
  primary key (day, block)
) with (fillfactor = 50);

create table pulsebot.model_user_day_bits (
  day    date not null,
  dim_id integer not null,
  block  integer not null,
  bits   bit(4096) not null,
  primary key (day, dim_id, block)
) with (fillfactor = 50);

do $$
declare
  user_type text;
begin
  select format_type(a.atttypid, a.atttypmod) into user_type
  from pg_attribute a where a.attrelid = 'pulsebot.model_user_days'::regclass and a.attname = 'user_id';
  execute format($t$
    create table pulsebot.model_user_days_pending_batches (
      days     date[] not null,
      user_ids %1$s[] not null,
      dim_ids  integer[] not null,
      dns      bigint[] not null
    )$t$, user_type);
end
$$;
-- Out of line and uncompressed: a batch's arrays are written once and read whole.
alter table pulsebot.model_user_days_pending_batches
  alter column days set storage external, alter column user_ids set storage external,
  alter column dim_ids set storage external, alter column dns set storage external;

-- The first day whose model bitmaps are kept: the views' 30 days (today − 29 … today) and two
-- more, so a view refreshed just after midnight still finds yesterday's window whole.
create function pulsebot.model_bits_from(today date) returns date
  language sql immutable parallel safe as $$ select today - 31 $$;

create table pulsebot.latency_daily_pending (
  day   date not null,
  ps_id integer not null,
  bin   integer not null,
  n     bigint not null
);

create table pulsebot.latency_daily_total_pending (
  day date not null,
  bin integer not null,
  n   bigint not null
);

create view pulsebot.latency_daily_live as
select day, ps_id, bin, n from pulsebot.latency_daily
union all
select day, ps_id, bin, n from pulsebot.latency_daily_pending;

create view pulsebot.latency_daily_total_live as
select day, bin, n from pulsebot.latency_daily_total
union all
select day, bin, n from pulsebot.latency_daily_total_pending;

-- The sets as they are, into the new form.
insert into pulsebot.user_numbers (user_id)
select user_id from (
  select user_id from pulsebot.model_user_days
  union
  select user_id from pulsebot.model_user_days_pending
) u order by 1;

insert into pulsebot.user_day_bits (day, block, bits)
select d.day, pulsebot.user_block(n.uid), pulsebot.bits_of(pulsebot.user_bit(n.uid), 1)
from pulsebot.user_days d join pulsebot.user_numbers n on n.user_id = d.user_id
group by 1, 2;

insert into pulsebot.model_user_day_bits (day, dim_id, block, bits)
select k.day, k.dim_id, pulsebot.user_block(n.uid), pulsebot.bits_of(pulsebot.user_bit(n.uid), 1)
from (
  select day, user_id, dim_id from (
    select day, user_id, dim_id, n from pulsebot.model_user_days
    union all
    select day, user_id, dim_id, dn from pulsebot.model_user_days_pending
  ) c
  where day >= pulsebot.model_bits_from((now() at time zone coalesce((select timezone from pulsebot.rollup_state), 'UTC'))::date)
  group by 1, 2, 3 having sum(n) > 0
) k join pulsebot.user_numbers n on n.user_id = k.user_id
group by 1, 2, 3;

drop table pulsebot.user_days, pulsebot.daily_active, pulsebot.model_user_recency, pulsebot.recency_days;

insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from pulsebot.model_user_days_pending
having count(*) > 0;
drop table pulsebot.model_user_days_pending;
create view pulsebot.model_user_days_pending as
select k.day, k.user_id, k.dim_id, k.dn
from pulsebot.model_user_days_pending_batches b
cross join lateral unnest(b.days, b.user_ids, b.dim_ids, b.dns) as k(day, user_id, dim_id, dn);
drop function pulsebot.track_recency_days_insert(), pulsebot.track_recency_days_update(), pulsebot.track_recency_days_delete();
drop function pulsebot.fold_user_sets(), pulsebot.fold_user_removals();
drop function pulsebot.merge_daily(text);
-- Only the latest-day search of the removed recency table used it.
alter table pulsebot.rollup_state drop column probe_removals_up_to;

-- The daily rollups from the batch's 15-minute groups: the measures merged in place (a couple of
-- thousand keys), the histograms appended. Returns the pending rows appended.
create function pulsebot.merge_daily(tz text) returns bigint
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

  -- A statement cannot delete a row it updated itself: days that reached zero go here.
  if exists (select 1 from pg_temp.pulsebot_batch_15m where requests < 0) then
    delete from pulsebot.usage_daily t
    using (select distinct (b.bucket at time zone tz)::date as day, b.dim_id from pg_temp.pulsebot_batch_15m b where b.requests < 0) k
    where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
  end if;
  return appended;
end
$$;

-- Settles the batch's user sets. Every (day, user, model) delta is appended to pending (a key's
-- count is its rollup row's n plus its pending deltas); the bits the views count are set now.
-- Returns the pending rows appended.
create function pulsebot.fold_user_sets(today date) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  appended bigint;
begin
  insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
  select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from pg_temp.pulsebot_user_batch
  having count(*) > 0
  returning pg_catalog.cardinality(days) into appended;
  appended := coalesce(appended, 0);

  -- Only the fold's lock holder numbers users, so no insert can race this one.
  insert into pulsebot.user_numbers (user_id)
  select distinct b.user_id from pg_temp.pulsebot_user_batch b
  where b.dn > 0 and not exists (select 1 from pulsebot.user_numbers n where n.user_id = b.user_id);

  -- A block is written only when the batch sets a bit it did not have (ON CONFLICT … WHERE):
  -- today's users are mostly known already.
  with k as materialized (
    select b.day, b.dim_id, n.uid
    from pg_temp.pulsebot_user_batch b join pulsebot.user_numbers n on n.user_id = b.user_id
    where b.dn > 0
  ), days as (
    insert into pulsebot.user_day_bits as t (day, block, bits)
    select day, pulsebot.user_block(uid), pulsebot.bits_of(pulsebot.user_bit(uid), 1) from k group by 1, 2
    on conflict (day, block) do update set bits = t.bits | excluded.bits
      where pg_catalog.bit_count(excluded.bits & ~t.bits) > 0
  )
  insert into pulsebot.model_user_day_bits as t (day, dim_id, block, bits)
  select day, dim_id, pulsebot.user_block(uid), pulsebot.bits_of(pulsebot.user_bit(uid), 1)
  from k where day >= pulsebot.model_bits_from(today)
  group by 1, 2, 3
  on conflict (day, dim_id, block) do update set bits = t.bits | excluded.bits
    where pg_catalog.bit_count(excluded.bits & ~t.bits) > 0;

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals(today);
  end if;
  return appended;
end
$$;

-- Keys that lost rows (the batch is already in pending): a key whose count reached zero clears
-- its model bit; a user's day bit goes when no model is left that day. Only the keys and days
-- the removals name are read.
create function pulsebot.fold_user_removals(today date) returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
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
  select l.day, l.user_id, l.dim_id, n.uid
  from pg_temp.pulsebot_user_batch l
  join pulsebot.user_numbers n on n.user_id = l.user_id
  left join pulsebot.model_user_days t on t.day = l.day and t.user_id = l.user_id and t.dim_id = l.dim_id
  left join pg_temp.pulsebot_user_pending p on p.day = l.day and p.user_id = l.user_id and p.dim_id = l.dim_id
  where l.dn < 0 and coalesce(t.n, 0) + coalesce(p.dn, 0) <= 0;

  with g as (
    select day, dim_id, pulsebot.user_block(uid) as block, pulsebot.bits_of(pulsebot.user_bit(uid), 1) as bits
    from pg_temp.pulsebot_gone where day >= pulsebot.model_bits_from(today)
    group by 1, 2, 3
  )
  update pulsebot.model_user_day_bits t set bits = t.bits & ~g.bits
  from g where t.day = g.day and t.dim_id = g.dim_id and t.block = g.block;

  with v as (
    select g.day, pulsebot.user_block(g.uid) as block, pulsebot.bits_of(pulsebot.user_bit(g.uid), 1) as bits
    from (select distinct day, user_id, uid from pg_temp.pulsebot_gone) g
    where not exists (
      select 1 from (
        select x.dim_id, x.n from pulsebot.model_user_days x where x.day = g.day and x.user_id = g.user_id
        union all
        select p.dim_id, p.dn from pg_temp.pulsebot_user_pending p where p.day = g.day and p.user_id = g.user_id
      ) k group by k.dim_id having sum(k.n) > 0)
    group by 1, 2
  )
  update pulsebot.user_day_bits t set bits = t.bits & ~v.bits
  from v where t.day = v.day and t.block = v.block;

  drop table pg_temp.pulsebot_gone, pg_temp.pulsebot_user_pending;
end
$$;

-- Merges the pending daily histograms into the rollups (called by compact_rollups()).
create function pulsebot.merge_pending_daily() returns bigint
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
  )
  insert into pulsebot.latency_daily
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.ps_id = d.ps_id and upd.bin = d.bin);
  delete from pulsebot.latency_daily t using pg_temp.pulsebot_compact_hist k
  where k.n < 0 and t.day = k.day and t.ps_id = k.ps_id and t.bin = k.bin and t.n = 0;

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
  )
  insert into pulsebot.latency_daily_total
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.bin = d.bin);
  delete from pulsebot.latency_daily_total t using pg_temp.pulsebot_compact_total k
  where k.n < 0 and t.day = k.day and t.bin = k.bin and t.n = 0;

  drop table pg_temp.pulsebot_compact_hist, pg_temp.pulsebot_compact_total;
  return merged + total_rows;
end
$$;

-- The pending daily histograms merged on their own: what the views read grows with them, so
-- `pulsebot refresh` merges them after every refresh, once the views are committed.
create function pulsebot.compact_daily_histograms() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set work_mem = '64MB'
as $$
begin
  perform pg_advisory_xact_lock(1886221428);
  return pulsebot.merge_pending_daily();
end
$$;

-- As in 000014, plus the pending daily histograms.
create or replace function pulsebot.compact_rollups() returns bigint
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
  merged := merged + pulsebot.merge_pending_daily();

  create temp table pulsebot_compact_users on commit drop as
  with taken as (delete from pulsebot.model_user_days_pending_batches returning *)
  select k.day, k.user_id, k.dim_id, sum(k.dn) as dn
  from taken cross join lateral unnest(taken.days, taken.user_ids, taken.dim_ids, taken.dns) as k(day, user_id, dim_id, dn)
  group by 1, 2, 3 having sum(k.dn) <> 0;
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

create function pulsebot.ms_since(t timestamptz) returns numeric
  language sql volatile as $$ select round(extract(epoch from pg_catalog.clock_timestamp() - t) * 1000, 1) $$;

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
  -- Where the fold's time went, for whoever asks in the same transaction (bench:refresh does):
  -- current_setting('pulsebot.fold_profile') = 'take=… daily=… users=… rest=…' in milliseconds.
  lap timestamptz := clock_timestamp();
  profile text := '';
begin
  -- One fold at a time; a second one waits, then folds what is left.
  perform pg_advisory_xact_lock(1886221428);
  select * into st from pulsebot.rollup_state for update;

  if st.needs_rebuild or st.timezone is distinct from tz then
    truncate pulsebot.usage_15m, pulsebot.usage_daily, pulsebot.errors_15m, pulsebot.latency_15m,
             pulsebot.latency_daily, pulsebot.latency_daily_total, pulsebot.latency_daily_pending,
             pulsebot.latency_daily_total_pending, pulsebot.pending_15m, pulsebot.user_day_bits,
             pulsebot.model_user_day_bits, pulsebot.model_user_days, pulsebot.model_user_days_pending_batches;
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
  profile := format('take=%s', pulsebot.ms_since(lap));
  lap := clock_timestamp();
  if folded > 0 then
    -- Its histogram rows are not counted in pending_rows: every `pulsebot refresh` merges them
    -- (compact_daily_histograms), and compact_rollups() too.
    perform pulsebot.merge_daily(tz);
    profile := profile || format(' daily=%s', pulsebot.ms_since(lap));
    lap := clock_timestamp();
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

  update pulsebot.rollup_state set last_fold_at = now(), pending_rows = pending_rows + appended;
  -- `pulsebot refresh` compacts after refreshing once pending reaches compact_after_rows; a
  -- scheduler that never does (pg_cron) is compacted here, so pending stays bounded either way.
  if st.pending_rows + appended >= 4 * st.compact_after_rows then
    perform pulsebot.compact_rollups();
  end if;
  perform set_config('pulsebot.fold_profile', profile || format(' rest=%s', pulsebot.ms_since(lap)), true);
  return folded;
end
$$;

revoke execute on function pulsebot.merge_daily(text), pulsebot.fold_user_sets(date), pulsebot.fold_user_removals(date),
  pulsebot.merge_pending_daily(), pulsebot.compact_daily_histograms(), pulsebot.compact_rollups(), pulsebot.fold_changes() from public;

-- hist_quantile() of a histogram given in any order: the views aggregate the bins of rollup and
-- pending rows by hash, and sorting each day's few hundred bins here is cheaper than sorting all
-- of them first for ordered aggregates.
create function pulsebot.hist_quantile_unsorted(bins integer[], counts bigint[], q double precision) returns double precision
  language sql immutable parallel safe
as $$
  select pulsebot.hist_quantile(pg_catalog.array_agg(b order by b), pg_catalog.array_agg(c order by b), q)
  from unnest(bins, counts) as u(b, c)
$$;

-- The dashboard views, as in 000012 (same columns, same meaning), over the bitmaps and the live
-- daily histograms.
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
-- Counts are summed as float8, exact below 2^53 and far cheaper than numeric (sum of bigint).
hist as (
  select l.day, l.bin, sum(l.n::float8)::bigint as n
  from pulsebot.latency_daily_total_live l cross join bounds b
  where l.day between b.today - 89 and b.today
  group by 1, 2
  having sum(l.n::float8) > 0
),
p95 as (
  select day, pulsebot.hist_quantile_unsorted(array_agg(bin), array_agg(n), 0.95) as p95
  from hist group by 1
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
  select l.ps_id, l.bin, sum(l.n::float8)::bigint as n
  from pulsebot.latency_daily_live l cross join bounds b
  where l.day between b.today - 29 and b.today
  group by 1, 2
  having sum(l.n::float8) > 0
),
p95 as (
  select ps_id, pulsebot.hist_quantile_unsorted(array_agg(bin), array_agg(n), 0.95) as p95
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

select pulsebot.restore_grants(view_name, acl) from pulsebot_saved_acl;

-- The views group tens of thousands of histogram rows; with the default 4 MB they spill to disk.
alter function public.refresh_analytics_views() set work_mem = '64MB';
