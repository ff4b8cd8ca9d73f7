-- pulsebot.fold_changes(): adds the change log into the rollups and returns how many change rows
-- it folded. Called by refresh_analytics_views() (and so by `pulsebot refresh` and pg_cron).
--
-- The batch is taken with DELETE … RETURNING: the fold sees exactly the change rows committed
-- before its snapshot and removes exactly those. Its cost follows the batch, not the table:
-- every statement below reads the batch and touches only the rollup keys it names.
--
-- Rollups are merged with UPDATE … FROM followed by INSERT … WHERE NOT EXISTS in one statement
-- rather than INSERT … ON CONFLICT: a join updates existing keys several times faster than
-- per-row speculative insertion, and only the fold writes these tables (under its advisory lock),
-- so no concurrent insert can race it.

-- The batch, reused across calls in a session (temp tables are per session; no catalog churn).
create function pulsebot.prepare_fold_batch() returns void
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass('pg_temp.pulsebot_batch') is null then
    create temp table pulsebot_batch on commit delete rows as
    select sign::integer as sign, created_at as bucket, current_date as day, 0::integer as dim_id, 0::integer as ps_id,
           user_id, input_tokens, output_tokens, images, video_seconds, cost_usd, latency_ms, 0::integer as bin,
           success, error_code
    from pulsebot.usage_changes with no data;
  else
    truncate pg_temp.pulsebot_batch;
  end if;
end
$$;

-- New provider × service type × model combinations get their dictionary ids.
create function pulsebot.register_dims() returns void
  language sql set search_path = pg_catalog, pg_temp
as $$
  insert into pulsebot.provider_services (provider, service_type)
  select distinct coalesce(provider, 'unknown'), coalesce(service_type, 'unknown') from pulsebot.usage_changes
  on conflict do nothing;
  insert into pulsebot.usage_dims (provider, service_type, model, ps_id)
  select c.provider, c.service_type, c.model, ps.id
  from (select distinct coalesce(provider, 'unknown') as provider, coalesce(service_type, 'unknown') as service_type,
               coalesce(model, 'unknown') as model from pulsebot.usage_changes) c
  join pulsebot.provider_services ps on ps.provider = c.provider and ps.service_type = c.service_type
  on conflict do nothing;
$$;

-- Moves the change rows this snapshot sees into the batch (DELETE … RETURNING: exactly those).
create function pulsebot.take_batch(tz text) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  taken bigint;
begin
  -- Only rows whose dictionary ids exist are taken; rows naming a combination without an id yet
  -- stay in the log until register_dims() has given it one (no race with concurrent writers).
  with d as (
    delete from pulsebot.usage_changes c using pulsebot.usage_dims m
    where m.provider = coalesce(c.provider, 'unknown') and m.service_type = coalesce(c.service_type, 'unknown')
      and m.model = coalesce(c.model, 'unknown')
    returning c.*, m.id as dim_id, m.ps_id
  )
  insert into pg_temp.pulsebot_batch
  select d.sign,
         date_bin('15 minutes', d.created_at, timestamptz '2000-01-01 00:00:00+00'),
         (d.created_at at time zone tz)::date,
         d.dim_id, d.ps_id, d.user_id,
         coalesce(d.input_tokens, 0), coalesce(d.output_tokens, 0), coalesce(d.images, 0), coalesce(d.video_seconds, 0),
         coalesce(d.cost_usd, 0), d.latency_ms, pulsebot.latency_bin(d.latency_ms), coalesce(d.success, false),
         coalesce(d.error_code, 'unknown')
  from d
  where d.created_at is not null;
  get diagnostics taken = row_count;
  return taken;
end
$$;

create function pulsebot.fold_changes() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  st pulsebot.rollup_state;
  folded bigint;
  keep_users_from date;
begin
  -- One fold at a time; a second one waits, then folds what is left.
  perform pg_advisory_xact_lock(1886221428);
  select * into st from pulsebot.rollup_state for update;

  if st.needs_rebuild or st.timezone is distinct from tz then
    truncate pulsebot.usage_15m, pulsebot.usage_daily, pulsebot.errors_15m, pulsebot.latency_15m,
             pulsebot.latency_daily, pulsebot.latency_daily_total, pulsebot.daily_active,
             pulsebot.daily_users, pulsebot.daily_model_users, pulsebot.model_user_recency, pulsebot.recency_days;
    perform pulsebot.reload_changes_from_usage();
    update pulsebot.rollup_state set needs_rebuild = false, timezone = tz, rebuilt_at = now(), pruned_before = null;
    st.pruned_before := null;
  end if;

  perform pulsebot.prepare_fold_batch();
  folded := pulsebot.take_batch(tz);
  -- Rows naming a provider/model combination seen for the first time stay in the log (the batch
  -- only takes rows with known dictionary ids); register the new ones and take those rows too.
  if exists (select 1 from pulsebot.usage_changes) then
    perform pulsebot.register_dims();
    folded := folded + pulsebot.take_batch(tz);
  end if;

  if folded > 0 then
    analyze pg_temp.pulsebot_batch;
    keep_users_from := coalesce(st.pruned_before, date '-infinity');
    perform pulsebot.fold_measures();
    perform pulsebot.fold_users(keep_users_from);
    if exists (select 1 from pg_temp.pulsebot_batch where sign < 0) then
      perform pulsebot.fold_removals();
    end if;
  end if;

  -- Once a day, forget distinct-user sets older than the dashboard needs (90 days + margin).
  if st.pruned_before is null or st.pruned_before < (now() at time zone tz)::date - 100 then
    keep_users_from := (now() at time zone tz)::date - 100;
    delete from pulsebot.daily_users where day < keep_users_from;
    delete from pulsebot.daily_model_users where day < keep_users_from;
    delete from pulsebot.model_user_recency where last_day < keep_users_from;
    delete from pulsebot.daily_active where day < keep_users_from;
    update pulsebot.rollup_state set pruned_before = keep_users_from;
  end if;

  update pulsebot.rollup_state set last_fold_at = now();
  return folded;
end
$$;

-- Counts, sums and histogram counts: merged by key. The rollups a fold touches are hot in memory,
-- so an index probe costs about what a sequential page read does (random_page_cost 1.1, the usual
-- setting for SSDs): without it the planner hashes whole rollup tables to update a few keys, and
-- the fold's cost would grow with the tables instead of the batch.
create function pulsebot.fold_measures() returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
begin
  with d as (
    select bucket, dim_id, sum(sign) as requests, sum(case when success then sign else 0 end) as successes,
           sum(sign * cost_usd) as cost_usd, sum(sign * input_tokens) as input_tokens, sum(sign * output_tokens) as output_tokens,
           sum(sign * images) as images, sum(sign * video_seconds) as video_seconds,
           sum(case when latency_ms is not null then sign * latency_ms else 0 end) as latency_sum,
           sum(case when latency_ms is not null then sign else 0 end) as latency_count,
           sum(case when cost_usd < 0 then sign else 0 end) as negative_cost_rows
    from pg_temp.pulsebot_batch group by 1, 2 order by 1, 2
  ), upd as (
    update pulsebot.usage_15m t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id
    returning t.bucket, t.dim_id
  )
  insert into pulsebot.usage_15m
  select d.* from d where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id);

  with d as (
    select day, dim_id, sum(sign) as requests, sum(case when success then sign else 0 end) as successes,
           sum(sign * cost_usd) as cost_usd, sum(sign * input_tokens) as input_tokens, sum(sign * output_tokens) as output_tokens,
           sum(sign * images) as images, sum(sign * video_seconds) as video_seconds,
           sum(case when latency_ms is not null then sign * latency_ms else 0 end) as latency_sum,
           sum(case when latency_ms is not null then sign else 0 end) as latency_count,
           sum(case when cost_usd < 0 then sign else 0 end) as negative_cost_rows
    from pg_temp.pulsebot_batch group by 1, 2 order by 1, 2
  ), upd as (
    update pulsebot.usage_daily t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.day = d.day and t.dim_id = d.dim_id
    returning t.day, t.dim_id
  )
  insert into pulsebot.usage_daily
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.dim_id = d.dim_id);

  with d as (
    select bucket, dim_id, error_code, sum(sign) as failures
    from pg_temp.pulsebot_batch where not success group by 1, 2, 3 having sum(sign) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.errors_15m t set failures = t.failures + d.failures
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.error_code = d.error_code
    returning t.bucket, t.dim_id, t.error_code
  )
  insert into pulsebot.errors_15m
  select d.* from d
  where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.error_code = d.error_code);

  with d as (
    select bucket, dim_id, bin, sum(sign) as n
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2, 3 having sum(sign) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_15m t set n = t.n + d.n
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.bin = d.bin
    returning t.bucket, t.dim_id, t.bin
  )
  insert into pulsebot.latency_15m
  select d.* from d where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.bin = d.bin);

  with d as (
    select day, ps_id, bin, sum(sign) as n
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2, 3 having sum(sign) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_daily t set n = t.n + d.n
    from d where t.day = d.day and t.ps_id = d.ps_id and t.bin = d.bin
    returning t.day, t.ps_id, t.bin
  )
  insert into pulsebot.latency_daily
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.ps_id = d.ps_id and upd.bin = d.bin);

  with d as (
    select day, bin, sum(sign) as n
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2 having sum(sign) <> 0 order by 1, 2
  ), upd as (
    update pulsebot.latency_daily_total t set n = t.n + d.n
    from d where t.day = d.day and t.bin = d.bin
    returning t.day, t.bin
  )
  insert into pulsebot.latency_daily_total
  select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.bin = d.bin);
end
$$;

-- Counted (day, user) and (model, user, day) sets, the active-user count per day, and each
-- (model, user)'s latest day. Only keys that appear or vanish change the derived numbers.
create function pulsebot.fold_users(keep_from date) returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
begin
  with d as (
    select day, user_id, sum(sign) as dn from pg_temp.pulsebot_batch
    where user_id is not null and day >= keep_from group by 1, 2 having sum(sign) <> 0 order by 1, 2
  ), upd as (
    update pulsebot.daily_users t set n = t.n + d.dn
    from d where t.day = d.day and t.user_id = d.user_id
    returning t.day, t.user_id, t.n, d.dn
  ), ins as (
    insert into pulsebot.daily_users (day, user_id, n)
    select d.day, d.user_id, d.dn from d
    where d.dn > 0 and not exists (select 1 from upd where upd.day = d.day and upd.user_id = d.user_id)
    returning day
  ), moved as (
    select day, 1 as delta from ins
    union all
    select day, case when n > 0 and n - dn <= 0 then 1 when n <= 0 and n - dn > 0 then -1 else 0 end from upd
  )
  insert into pulsebot.daily_active as a (day, users)
  select day, sum(delta) from moved group by day having sum(delta) <> 0
  on conflict (day) do update set users = a.users + excluded.users;

  with d as (
    select dim_id, user_id, day, sum(sign) as dn from pg_temp.pulsebot_batch
    where user_id is not null and day >= keep_from group by 1, 2, 3 having sum(sign) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.daily_model_users t set n = t.n + d.dn
    from d where t.dim_id = d.dim_id and t.user_id = d.user_id and t.day = d.day
    returning t.dim_id, t.user_id, t.day
  ), ins as (
    insert into pulsebot.daily_model_users (dim_id, user_id, day, n)
    select d.dim_id, d.user_id, d.day, d.dn from d
    where d.dn > 0 and not exists (select 1 from upd where upd.dim_id = d.dim_id and upd.user_id = d.user_id and upd.day = d.day)
    returning dim_id, user_id, day
  ), latest as (
    -- Only a (model, user, day) key that did not exist can move a pair's latest day.
    select dim_id, user_id, max(day) as day from ins group by 1, 2
  ), moved as (
    update pulsebot.model_user_recency r set last_day = l.day
    from latest l where r.dim_id = l.dim_id and r.user_id = l.user_id and r.last_day < l.day
  )
  insert into pulsebot.model_user_recency (dim_id, user_id, last_day)
  select l.dim_id, l.user_id, l.day from latest l
  where not exists (select 1 from pulsebot.model_user_recency r where r.dim_id = l.dim_id and r.user_id = l.user_id);
end
$$;

-- After deletes and updates: drop rollup rows that reached zero and recompute the latest day of
-- the (model, user) pairs that lost rows. Only the keys named by removed rows are visited.
create function pulsebot.fold_removals() returns void
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
begin
  delete from pulsebot.usage_15m t using (select distinct bucket, dim_id from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.requests = 0;
  delete from pulsebot.usage_daily t using (select distinct day, dim_id from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
  delete from pulsebot.errors_15m t using (select distinct bucket, dim_id, error_code from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.error_code = k.error_code and t.failures = 0;
  delete from pulsebot.latency_15m t using (select distinct bucket, dim_id, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.bin = k.bin and t.n = 0;
  delete from pulsebot.latency_daily t using (select distinct day, ps_id, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.ps_id = k.ps_id and t.bin = k.bin and t.n = 0;
  delete from pulsebot.latency_daily_total t using (select distinct day, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.bin = k.bin and t.n = 0;
  delete from pulsebot.daily_users t using (select distinct day, user_id from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.user_id = k.user_id and t.n = 0;
  delete from pulsebot.daily_model_users t using (select distinct dim_id, user_id, day from pg_temp.pulsebot_batch where sign < 0) k
  where t.dim_id = k.dim_id and t.user_id = k.user_id and t.day = k.day and t.n = 0;

  with k as (
    select distinct dim_id, user_id from pg_temp.pulsebot_batch where sign < 0 and user_id is not null
  ), latest as (
    select k.dim_id, k.user_id,
           (select max(x.day) from pulsebot.daily_model_users x where x.dim_id = k.dim_id and x.user_id = k.user_id) as last_day
    from k
  ), gone as (
    delete from pulsebot.model_user_recency r using latest l
    where l.last_day is null and r.dim_id = l.dim_id and r.user_id = l.user_id
  )
  update pulsebot.model_user_recency r set last_day = l.last_day from latest l
  where l.last_day is not null and r.dim_id = l.dim_id and r.user_id = l.user_id;
end
$$;

revoke execute on function pulsebot.fold_changes(), pulsebot.take_batch(text), pulsebot.fold_measures(), pulsebot.fold_users(date),
  pulsebot.fold_removals(), pulsebot.prepare_fold_batch(), pulsebot.register_dims() from public;
