-- The capture records each change row's latency bin, so the fold no longer takes a logarithm per
-- row while it holds the refresh.
--
-- Why: profiled at 10M rows on a 100k-row batch, pulsebot.latency_bin() over every row took
-- ~60–90 ms of the fold's ~250 ms take. In the writer's transaction it is one logarithm per row:
-- pgbench (single-row INSERTs, 4 clients, alternating) measured 2% fewer inserts per second than
-- the plain copy. Looking up the dictionary id there as well cost 12% (a second relation opened
-- and locked per statement), so the fold still joins the dictionary itself.

alter table pulsebot.usage_changes add column bin integer;

do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code, bin';
  vals text;
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end
          || ', pulsebot.latency_bin(r.latency_ms)';

  execute format($f$
    create or replace function pulsebot.capture_usage_insert() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create or replace function pulsebot.capture_usage_delete() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select -1, %2$s from old_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create or replace function pulsebot.capture_usage_update() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s)
      select -1, %2$s from old_rows r
      union all
      select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create or replace function pulsebot.reload_changes_from_usage() returns void
      language sql set search_path = pg_catalog, pg_temp
    as $b$
      with gone as (delete from pulsebot.usage_changes)
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from public.api_usage r;
    $b$ $f$, cols, vals);
end
$$;

-- As in 000014, but the bin comes with the row (rows captured before this migration have none).
create or replace function pulsebot.take_changes(tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only rows whose dictionary ids exist are taken; the others wait for register_dims().
  with d as (
    delete from pulsebot.usage_changes c using pulsebot.usage_dims m
    where m.provider = coalesce(c.provider, 'unknown') and m.service_type = coalesce(c.service_type, 'unknown')
      and m.model = coalesce(c.model, 'unknown')
    returning c.sign, c.created_at, c.user_id, m.id as dim_id, coalesce(c.bin, pulsebot.latency_bin(c.latency_ms)) as bin,
              c.input_tokens, c.output_tokens, c.images, c.video_seconds, c.cost_usd, c.latency_ms, c.success, c.error_code
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
           bin, case when coalesce(success, false) then null else coalesce(error_code, 'unknown') end,
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

revoke execute on function pulsebot.take_changes(text, date) from public;
