-- The capture records each change row's dictionary id and latency bin; the fold no longer joins
-- 100k rows on three text columns nor takes a logarithm per row while it holds the refresh.
--
-- Why: profiled at 10M rows on a 100k-row batch, computing pulsebot.latency_bin() for every row
-- took ~60–90 ms and the text join ~25 ms of the fold's ~250 ms take. In the writer's
-- transaction the same work is one index probe and one logarithm per row, a few microseconds
-- against the ~0.5 ms a single-row INSERT costs (bench:refresh measures the write path).
-- A combination not yet in the dictionary is captured with a null id; the fold registers it and
-- fills the id in before it takes those rows, as before.

alter table pulsebot.usage_changes add column dim_id integer, add column bin integer;

do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code, dim_id, bin';
  vals text;
  dims constant text := 'left join pulsebot.usage_dims m on m.provider = coalesce(r.provider, ''unknown'') '
                        'and m.service_type = coalesce(r.service_type, ''unknown'') and m.model = coalesce(r.model, ''unknown'')';
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end
          || ', m.id, pulsebot.latency_bin(r.latency_ms)';

  execute format($f$
    create or replace function pulsebot.capture_usage_insert() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from new_rows r %3$s;
      return null;
    end
    $b$ $f$, cols, vals, dims);

  execute format($f$
    create or replace function pulsebot.capture_usage_delete() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select -1, %2$s from old_rows r %3$s;
      return null;
    end
    $b$ $f$, cols, vals, dims);

  execute format($f$
    create or replace function pulsebot.capture_usage_update() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s)
      select -1, %2$s from old_rows r %3$s
      union all
      select 1, %2$s from new_rows r %3$s;
      return null;
    end
    $b$ $f$, cols, vals, dims);

  execute format($f$
    create or replace function pulsebot.reload_changes_from_usage() returns void
      language sql set search_path = pg_catalog, pg_temp
    as $b$
      with gone as (delete from pulsebot.usage_changes)
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from public.api_usage r %3$s;
    $b$ $f$, cols, vals, dims);
end
$$;

-- Rows captured without an id (a new combination, or captured before this migration) get one.
create function pulsebot.resolve_dims() returns void
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  perform pulsebot.register_dims();
  update pulsebot.usage_changes c set dim_id = m.id, bin = pulsebot.latency_bin(c.latency_ms)
  from pulsebot.usage_dims m
  where c.dim_id is null and m.provider = coalesce(c.provider, 'unknown') and m.service_type = coalesce(c.service_type, 'unknown')
    and m.model = coalesce(c.model, 'unknown');
end
$$;

-- As in 000014, but the batch's ids and bins come with the rows; a row without an id yet (its
-- writer committed after resolve_dims() ran) stays for the next fold.
create or replace function pulsebot.take_changes(tz text, keep_from date, out taken bigint, out appended bigint)
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  with d as (
    delete from pulsebot.usage_changes c
    where c.dim_id is not null
    returning c.sign, c.created_at, c.user_id, c.dim_id, c.bin, c.input_tokens, c.output_tokens, c.images,
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

revoke execute on function pulsebot.resolve_dims(), pulsebot.take_changes(text, date) from public;
