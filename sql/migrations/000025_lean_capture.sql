-- The capture triggers do less per statement: apps write api_usage one row per API call, so
-- whatever a trigger sets up once per statement, it sets up once per row.
--
-- Counted with callgrind (`npm run bench:capture`: instructions per single-row INSERT on
-- PostgreSQL 15, commit excluded): no capture 260.7k; the plainest delta-log trigger (rows copied
-- as they are) +32.6k; the capture as it was +103.0k, now +61.6k. Where the 41k went:
--   - `SET search_path` on the functions: 13.5k (the GUC set and restored on every call). It
--     guarded the SQL inside the inlined helpers, whose text was parsed again, with the writer's
--     search_path, wherever it was inlined: a writer's operator could run with the owner's
--     rights. The helpers are now BEGIN ATOMIC (parsed once, here, with the migration's
--     search_path; still inlined), and the triggers' own statements name only schema-qualified
--     functions and tables, and their transition tables (test/rollup/capture-security).
--   - ~9k for each derived column a statement computed, its expression built again every time:
--     the latency bin and the millionths of cost and of video seconds are now left to the takes,
--     ~0.05-0.1 us a row there (the bin was already computed there for rows captured without one).
--   - The dictionary key stays: grouping by the three names instead cost the fold ~60 ms per
--     100k rows (000018), in both parts.

set local search_path = pg_catalog, pg_temp;

create or replace function pulsebot.latency_bin(latency double precision) returns integer
  language sql immutable parallel safe
begin atomic
  select case when latency is null then null
              when latency <= 0 then -32768
              else pg_catalog.ceil(pg_catalog.ln(latency) / 0.019000571614286515)::integer end;
end;

create or replace function pulsebot.dim_key(provider text, service_type text, model text) returns bigint
  language sql immutable parallel safe
begin atomic
  select pg_catalog.hashtextextended(
    coalesce(provider, 'unknown') || E'\x1f' || coalesce(service_type, 'unknown') || E'\x1f' || coalesce(model, 'unknown'), 0);
end;

create or replace function pulsebot.millionths(v numeric) returns bigint
  language sql immutable parallel safe
begin atomic
  select case when v is null then 0
              when pg_catalog.scale(v) <= 6 and pg_catalog.abs(v) < 1000000000000 then (v * 1000000)::bigint end;
end;

-- As in 000018, with the dictionary key only, and without SET search_path (above).
-- Still SECURITY DEFINER: the application's role needs no privileges on the pulsebot schema.
do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code, dim_key';
  vals text;
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end
          || ', pulsebot.dim_key(r.provider, r.service_type, r.model)';

  execute format($f$
    create or replace function pulsebot.capture_usage_insert() returns trigger
      language plpgsql security definer
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create or replace function pulsebot.capture_usage_delete() returns trigger
      language plpgsql security definer
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select -1, %2$s from old_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create or replace function pulsebot.capture_usage_update() returns trigger
      language plpgsql security definer
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s)
      select -1, %2$s from old_rows r
      union all
      select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);
end
$$;

-- The takes, as in 000018 (the DELETE path) and 000021 (the detached log), compute the
-- millionths the capture no longer records (rows captured before this migration have them).
-- Every value a row's millionths cannot hold exactly is still summed as numeric.
create or replace function pulsebot.take_changes(tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  with gone as (
    delete from pulsebot.usage_changes c
    where c.dim_key in (select m.key from pulsebot.usage_dims m)
    returning 1
  ), users as (
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select g.day, g.user_id, m.id, g.dn
    from (
      select (c.created_at at time zone tz)::date as day, c.user_id, c.dim_key, sum(c.sign) as dn
      from pulsebot.usage_changes c
      where c.user_id is not null and c.created_at is not null and c.dim_key in (select m.key from pulsebot.usage_dims m)
      group by 1, 2, 3 having sum(c.sign) <> 0
    ) g
    join pulsebot.usage_dims m on m.key = g.dim_key
    where g.day >= keep_from
  ), measures as (
    insert into pulsebot.pending_15m
    select g.bucket, m.id, g.bin, g.error_code, g.requests,
           coalesce(g.cost_micros, 0) * 0.000001 + coalesce(g.cost_numeric, 0),
           coalesce(g.input_tokens, 0), coalesce(g.output_tokens, 0), coalesce(g.images, 0),
           coalesce(g.video_micros, 0) * 0.000001 + coalesce(g.video_numeric, 0),
           coalesce(g.latency_sum, 0), coalesce(g.negative_cost_rows, 0)
    from (
      select date_bin('15 minutes', c.created_at, timestamptz '2000-01-01 00:00:00+00') as bucket, c.dim_key,
             coalesce(c.bin, pulsebot.latency_bin(c.latency_ms)) as bin,
             case when coalesce(c.success, false) then null else coalesce(c.error_code, 'unknown') end as error_code,
             sum(c.sign) as requests,
             pulsebot.sum_int8(c.sign * coalesce(c.cost_micros, pulsebot.millionths(c.cost_usd))) as cost_micros,
             sum(c.sign * c.cost_usd) filter (where c.cost_usd is not null and coalesce(c.cost_micros, pulsebot.millionths(c.cost_usd)) is null) as cost_numeric,
             pulsebot.sum_int8(c.sign * c.input_tokens) as input_tokens,
             pulsebot.sum_int8(c.sign * c.output_tokens) as output_tokens,
             pulsebot.sum_int8(c.sign * c.images) as images,
             pulsebot.sum_int8(c.sign * coalesce(c.video_micros, pulsebot.millionths(c.video_seconds))) as video_micros,
             sum(c.sign * c.video_seconds) filter (where c.video_seconds is not null and coalesce(c.video_micros, pulsebot.millionths(c.video_seconds)) is null) as video_numeric,
             sum(c.sign * c.latency_ms) as latency_sum,
             sum(c.sign) filter (where c.cost_usd < 0) as negative_cost_rows
      from pulsebot.usage_changes c
      where c.created_at is not null and c.dim_key in (select m.key from pulsebot.usage_dims m)
      group by 1, 2, 3, 4
    ) g
    join pulsebot.usage_dims m on m.key = g.dim_key
    returning *
  ), kept as (
    insert into pg_temp.pulsebot_batch_15m select * from measures
  )
  select (select count(*) from gone), (select count(*) from measures) into taken, appended;
end
$$;

create or replace function pulsebot.take_taken_measures(tz text, out taken bigint, out appended bigint)
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
           pulsebot.sum_int8(c.sign * coalesce(c.cost_micros, pulsebot.millionths(c.cost_usd))) as cost_micros,
           sum(c.sign * c.cost_usd) filter (where c.cost_usd is not null and coalesce(c.cost_micros, pulsebot.millionths(c.cost_usd)) is null) as cost_numeric,
           pulsebot.sum_int8(c.sign * c.input_tokens) as input_tokens,
           pulsebot.sum_int8(c.sign * c.output_tokens) as output_tokens,
           pulsebot.sum_int8(c.sign * c.images) as images,
           pulsebot.sum_int8(c.sign * coalesce(c.video_micros, pulsebot.millionths(c.video_seconds))) as video_micros,
           sum(c.sign * c.video_seconds) filter (where c.video_seconds is not null and coalesce(c.video_micros, pulsebot.millionths(c.video_seconds)) is null) as video_numeric,
           sum(c.sign * c.latency_ms) as latency_sum,
           sum(c.sign) filter (where c.cost_usd < 0) as negative_cost_rows
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
