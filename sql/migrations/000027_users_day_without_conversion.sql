-- The user sets' takes give most rows their day without converting each row's timestamp to the
-- dashboard's time zone: rows inside today's span (most of a batch) get today's date.
--
-- Why: `(created_at at time zone tz)::date` parses the zone's name and converts the timestamp for
-- every row. Over 100,000 rows that took ~18 ms for UTC and ~45 ms for America/New_York (psql,
-- min of 2); the users part is the longer of a refresh's two parts. The measures part groups by
-- UTC quarter hour and converts per group (000020's merge_daily), so it is left as is.
--
-- Exactness: the span is used only when every instant in it has today's date: today's local
-- midnight to tomorrow's, 24 hours long, each end mapping back to its own local time (no
-- transition inside). Otherwise the span is empty and every row is converted as before. Rows
-- outside it (late, back-dated, future) are converted as before.

-- Today's date in time zone `tz` at `instant`, and its UTC span [starts, ends) when the whole
-- span has that date and one UTC offset; otherwise an empty span (starts = ends).
create function pulsebot.uniform_local_day(tz text, instant timestamptz, out day date, out starts timestamptz, out ends timestamptz)
  language plpgsql stable set search_path = pg_catalog, pg_temp
as $$
begin
  day := (instant at time zone tz)::date;
  starts := day::timestamp at time zone tz;
  ends := (day + 1)::timestamp at time zone tz;
  if ends - starts <> interval '24 hours'
     or (starts at time zone tz) <> day::timestamp
     or ((ends - interval '1 microsecond') at time zone tz) <> (day + 1)::timestamp - interval '1 microsecond' then
    starts := ends;
  end if;
end
$$;

-- As in 000021, with today's span.
create or replace function pulsebot.fold_taken_user_sets(tz text, keep_from date, today date) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  span record := pulsebot.uniform_local_day(tz, now());
  batch tid;
  appended bigint;
  missing bigint;
  removals boolean;
begin
  with g as (
    select case when c.created_at >= span.starts and c.created_at < span.ends then span.day
                else (c.created_at at time zone tz)::date end as day,
           c.user_id, c.dim_key, sum(c.sign) as dn
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


-- As in 000018, with today's span.
create or replace function pulsebot.take_changes(tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  span record := pulsebot.uniform_local_day(tz, now());
begin
  with gone as (
    delete from pulsebot.usage_changes c
    where c.dim_key in (select m.key from pulsebot.usage_dims m)
    returning 1
  ), users as (
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select g.day, g.user_id, m.id, g.dn
    from (
      select case when c.created_at >= span.starts and c.created_at < span.ends then span.day
                  else (c.created_at at time zone tz)::date end as day,
             c.user_id, c.dim_key, sum(c.sign) as dn
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
             pulsebot.sum_int8(c.sign * c.cost_micros) as cost_micros,
             sum(c.sign * c.cost_usd) filter (where c.cost_micros is null and c.cost_usd is not null) as cost_numeric,
             pulsebot.sum_int8(c.sign * c.input_tokens) as input_tokens,
             pulsebot.sum_int8(c.sign * c.output_tokens) as output_tokens,
             pulsebot.sum_int8(c.sign * c.images) as images,
             pulsebot.sum_int8(c.sign * c.video_micros) as video_micros,
             sum(c.sign * c.video_seconds) filter (where c.video_micros is null and c.video_seconds is not null) as video_numeric,
             sum(c.sign * c.latency_ms) as latency_sum,
             sum(c.sign) filter (where c.cost_micros < 0 or (c.cost_micros is null and c.cost_usd < 0)) as negative_cost_rows
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


revoke execute on function pulsebot.uniform_local_day(text, timestamptz), pulsebot.fold_taken_user_sets(text, date, date),
  pulsebot.take_changes(text, date) from public;
