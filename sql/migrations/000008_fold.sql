-- pulsebot.fold_changes(): adds the change log into the rollups and returns how many change rows
-- it folded. Called by refresh_analytics_views() (and so by `pulsebot refresh` and pg_cron).
--
-- The batch is taken with DELETE … RETURNING: the fold sees exactly the change rows committed
-- before its snapshot and removes exactly those. Its cost follows the batch, not the table:
-- every statement below reads the batch and touches only the rollup keys it names.

-- The batch, reused across calls in a session (temp tables are per session; no catalog churn).
create function pulsebot.prepare_fold_batch() returns void
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass('pg_temp.pulsebot_batch') is null then
    create temp table pulsebot_batch on commit delete rows as
    select sign::integer as sign, created_at as bucket, current_date as day, provider, service_type, model, user_id,
           input_tokens, output_tokens, images, video_seconds, cost_usd, latency_ms, 0::integer as bin, success, error_code
    from pulsebot.usage_changes with no data;
  else
    truncate pg_temp.pulsebot_batch;
  end if;
end
$$;

create function pulsebot.fold_changes() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  tz text := pulsebot.dashboard_timezone();
  st pulsebot.rollup_state;
  folded bigint;
  removals boolean;
  keep_users_from date;
begin
  -- One fold at a time; a second one waits, then folds what is left.
  perform pg_advisory_xact_lock(1886221428);
  select * into st from pulsebot.rollup_state for update;

  if st.needs_rebuild or st.timezone is distinct from tz then
    truncate pulsebot.usage_15m, pulsebot.usage_daily, pulsebot.errors_15m, pulsebot.latency_15m,
             pulsebot.latency_daily, pulsebot.latency_daily_total, pulsebot.daily_active,
             pulsebot.daily_users, pulsebot.daily_model_users, pulsebot.model_user_recency;
    perform pulsebot.reload_changes_from_usage();
    update pulsebot.rollup_state set needs_rebuild = false, timezone = tz, rebuilt_at = now(), pruned_before = null;
    st.pruned_before := null;
  end if;

  perform pulsebot.prepare_fold_batch();
  with d as (delete from pulsebot.usage_changes returning *)
  insert into pg_temp.pulsebot_batch
  select d.sign,
         date_bin('15 minutes', d.created_at, timestamptz '2000-01-01 00:00:00+00'),
         (d.created_at at time zone tz)::date,
         coalesce(d.provider, 'unknown'), coalesce(d.service_type, 'unknown'), coalesce(d.model, 'unknown'), d.user_id,
         coalesce(d.input_tokens, 0), coalesce(d.output_tokens, 0), coalesce(d.images, 0), coalesce(d.video_seconds, 0),
         coalesce(d.cost_usd, 0), d.latency_ms, pulsebot.latency_bin(d.latency_ms), coalesce(d.success, false),
         coalesce(d.error_code, 'unknown')
  from d
  where d.created_at is not null;
  get diagnostics folded = row_count;

  if folded > 0 then
    removals := exists (select 1 from pg_temp.pulsebot_batch where sign < 0);
    -- Distinct-user sets are kept for a bounded number of days (see pruning below).
    keep_users_from := coalesce(st.pruned_before, date '-infinity');

    insert into pulsebot.usage_15m as t
    select bucket, provider, service_type, model, sum(sign), sum(case when success then sign else 0 end),
           sum(sign * cost_usd), sum(sign * input_tokens), sum(sign * output_tokens), sum(sign * images),
           sum(sign * video_seconds), sum(case when latency_ms is not null then sign * latency_ms else 0 end),
           sum(case when latency_ms is not null then sign else 0 end), sum(case when cost_usd < 0 then sign else 0 end)
    from pg_temp.pulsebot_batch group by 1, 2, 3, 4
    on conflict (bucket, provider, service_type, model) do update set
      requests = t.requests + excluded.requests, successes = t.successes + excluded.successes,
      cost_usd = t.cost_usd + excluded.cost_usd, input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens, images = t.images + excluded.images,
      video_seconds = t.video_seconds + excluded.video_seconds, latency_sum = t.latency_sum + excluded.latency_sum,
      latency_count = t.latency_count + excluded.latency_count,
      negative_cost_rows = t.negative_cost_rows + excluded.negative_cost_rows;

    insert into pulsebot.usage_daily as t
    select day, provider, service_type, model, sum(sign), sum(case when success then sign else 0 end),
           sum(sign * cost_usd), sum(sign * input_tokens), sum(sign * output_tokens), sum(sign * images),
           sum(sign * video_seconds), sum(case when latency_ms is not null then sign * latency_ms else 0 end),
           sum(case when latency_ms is not null then sign else 0 end), sum(case when cost_usd < 0 then sign else 0 end)
    from pg_temp.pulsebot_batch group by 1, 2, 3, 4
    on conflict (day, provider, service_type, model) do update set
      requests = t.requests + excluded.requests, successes = t.successes + excluded.successes,
      cost_usd = t.cost_usd + excluded.cost_usd, input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens, images = t.images + excluded.images,
      video_seconds = t.video_seconds + excluded.video_seconds, latency_sum = t.latency_sum + excluded.latency_sum,
      latency_count = t.latency_count + excluded.latency_count,
      negative_cost_rows = t.negative_cost_rows + excluded.negative_cost_rows;

    insert into pulsebot.errors_15m as t
    select bucket, provider, service_type, model, error_code, sum(sign)
    from pg_temp.pulsebot_batch where not success group by 1, 2, 3, 4, 5 having sum(sign) <> 0
    on conflict (bucket, provider, service_type, model, error_code) do update set failures = t.failures + excluded.failures;

    insert into pulsebot.latency_15m as t
    select bucket, provider, service_type, model, bin, sum(sign)
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2, 3, 4, 5 having sum(sign) <> 0
    on conflict (bucket, provider, service_type, model, bin) do update set n = t.n + excluded.n;

    insert into pulsebot.latency_daily as t
    select day, provider, service_type, bin, sum(sign)
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2, 3, 4 having sum(sign) <> 0
    on conflict (day, provider, service_type, bin) do update set n = t.n + excluded.n;

    insert into pulsebot.latency_daily_total as t
    select day, bin, sum(sign)
    from pg_temp.pulsebot_batch where bin is not null group by 1, 2 having sum(sign) <> 0
    on conflict (day, bin) do update set n = t.n + excluded.n;

    -- Active users per day: a (day, user) count going 0 → positive adds one, positive → 0 removes one.
    with d as (
      select day, user_id, sum(sign) as dn from pg_temp.pulsebot_batch
      where user_id is not null and day >= keep_users_from group by 1, 2 having sum(sign) <> 0
    ), up as (
      insert into pulsebot.daily_users as t (day, user_id, n) select day, user_id, dn from d
      on conflict (day, user_id) do update set n = t.n + excluded.n
      returning t.day, t.user_id, t.n
    ), moved as (
      select up.day, sum(case when up.n > 0 and up.n - d.dn <= 0 then 1
                              when up.n <= 0 and up.n - d.dn > 0 then -1 else 0 end) as delta
      from up join d on d.day = up.day and d.user_id = up.user_id group by up.day
    )
    insert into pulsebot.daily_active as a (day, users) select day, delta from moved where delta <> 0
    on conflict (day) do update set users = a.users + excluded.users;

    insert into pulsebot.daily_model_users as t
    select provider, service_type, model, user_id, day, sum(sign) from pg_temp.pulsebot_batch
    where user_id is not null and day >= keep_users_from group by 1, 2, 3, 4, 5 having sum(sign) <> 0
    on conflict (provider, service_type, model, user_id, day) do update set n = t.n + excluded.n;

    insert into pulsebot.model_user_recency as t
    select provider, service_type, model, user_id, max(day) from pg_temp.pulsebot_batch
    where user_id is not null and sign > 0 and day >= keep_users_from group by 1, 2, 3, 4
    on conflict (provider, service_type, model, user_id) do update set last_day = greatest(t.last_day, excluded.last_day);

    if removals then
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

-- After deletes and updates: drop rollup rows that reached zero and recompute the latest day of
-- the (model, user) pairs that lost rows. Only the keys named by removed rows are visited.
create function pulsebot.fold_removals() returns void
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  delete from pulsebot.usage_15m t using (select distinct bucket, provider, service_type, model from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.provider = k.provider and t.service_type = k.service_type and t.model = k.model and t.requests = 0;
  delete from pulsebot.usage_daily t using (select distinct day, provider, service_type, model from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.provider = k.provider and t.service_type = k.service_type and t.model = k.model and t.requests = 0;
  delete from pulsebot.errors_15m t using (select distinct bucket, provider, service_type, model, error_code from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.provider = k.provider and t.service_type = k.service_type and t.model = k.model
    and t.error_code = k.error_code and t.failures = 0;
  delete from pulsebot.latency_15m t using (select distinct bucket, provider, service_type, model, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.bucket = k.bucket and t.provider = k.provider and t.service_type = k.service_type and t.model = k.model and t.bin = k.bin and t.n = 0;
  delete from pulsebot.latency_daily t using (select distinct day, provider, service_type, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.provider = k.provider and t.service_type = k.service_type and t.bin = k.bin and t.n = 0;
  delete from pulsebot.latency_daily_total t using (select distinct day, bin from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.bin = k.bin and t.n = 0;
  delete from pulsebot.daily_users t using (select distinct day, user_id from pg_temp.pulsebot_batch where sign < 0) k
  where t.day = k.day and t.user_id = k.user_id and t.n = 0;
  delete from pulsebot.daily_model_users t
  using (select distinct provider, service_type, model, user_id, day from pg_temp.pulsebot_batch where sign < 0) k
  where t.provider = k.provider and t.service_type = k.service_type and t.model = k.model and t.user_id = k.user_id
    and t.day = k.day and t.n = 0;

  with k as (
    select distinct provider, service_type, model, user_id from pg_temp.pulsebot_batch where sign < 0 and user_id is not null
  ), latest as (
    select k.*, (select max(x.day) from pulsebot.daily_model_users x
                 where x.provider = k.provider and x.service_type = k.service_type and x.model = k.model
                   and x.user_id = k.user_id) as last_day
    from k
  ), gone as (
    delete from pulsebot.model_user_recency r using latest l
    where l.last_day is null and r.provider = l.provider and r.service_type = l.service_type and r.model = l.model
      and r.user_id = l.user_id
  )
  update pulsebot.model_user_recency r set last_day = l.last_day from latest l
  where l.last_day is not null and r.provider = l.provider and r.service_type = l.service_type and r.model = l.model
    and r.user_id = l.user_id;
end
$$;

revoke execute on function pulsebot.fold_changes(), pulsebot.fold_removals(), pulsebot.prepare_fold_batch() from public;
