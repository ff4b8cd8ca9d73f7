-- The capture records each change row's dictionary key (a 64-bit hash of provider, service type
-- and model) and its cost and video seconds as integer millionths, so the take groups by integers
-- and sums by value.
--
-- Why (profiled at 10M rows on a 100k-row batch): grouping by the three text columns cost ~60 ms
-- more than grouping by one bigint, and sums of numeric and bigint, whose per-group state lives
-- outside the hash table, ~70 ms more than sums kept in it (float8, or bigint summed by int8pl).
-- Both cost the writer one hash and two multiplications per row, no relation opened (the
-- dictionary lookup measured 12% of single-row inserts; see 000017).
--
-- A key is hashtextextended() of the three names; usage_dims.key is unique, so two combinations
-- that hashed alike (odds ~n²/2^65 for n combinations) would stop the fold with a unique
-- violation, never merge silently. Millionths are exact for values of at most 6 decimals below
-- 10^12; any other value leaves them null and is summed as numeric, as before.

create function pulsebot.dim_key(provider text, service_type text, model text) returns bigint
  language sql immutable parallel safe
as $$
  select pg_catalog.hashtextextended(
    coalesce(provider, 'unknown') || E'\x1f' || coalesce(service_type, 'unknown') || E'\x1f' || coalesce(model, 'unknown'), 0)
$$;

create function pulsebot.millionths(v numeric) returns bigint
  language sql immutable parallel safe
as $$
  select case when v is null then 0
              when pg_catalog.scale(v) <= 6 and abs(v) < 1000000000000 then (v * 1000000)::bigint end
$$;

-- sum(bigint) keeps a numeric state per group; int8pl keeps the sum in the hash table, and
-- overflow is an error, never a wrong number.
create aggregate pulsebot.sum_int8(bigint) (sfunc = pg_catalog.int8pl, stype = bigint, combinefunc = pg_catalog.int8pl, parallel = safe);

alter table pulsebot.usage_dims add column key bigint generated always as (pulsebot.dim_key(provider, service_type, model)) stored;
create unique index usage_dims_key on pulsebot.usage_dims (key);

alter table pulsebot.usage_changes add column dim_key bigint, add column cost_micros bigint, add column video_micros bigint;
update pulsebot.usage_changes set dim_key = pulsebot.dim_key(provider, service_type, model),
  cost_micros = pulsebot.millionths(cost_usd), video_micros = pulsebot.millionths(video_seconds);

do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code, bin, dim_key, cost_micros, video_micros';
  vals text;
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end
          || ', pulsebot.latency_bin(r.latency_ms), pulsebot.dim_key(r.provider, r.service_type, r.model), '
          'pulsebot.millionths(r.cost_usd), pulsebot.millionths(r.video_seconds)';

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

-- As in 000008, and rows whose key is not their names' (none, unless captured by another build
-- of pulsebot or restored from another machine) get it, so the next take finds them.
create or replace function pulsebot.register_dims() returns void
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
  update pulsebot.usage_changes c set dim_key = pulsebot.dim_key(c.provider, c.service_type, c.model)
  where c.dim_key is distinct from pulsebot.dim_key(c.provider, c.service_type, c.model);
$$;

-- As in 000017, with integer keys and by-value sums. One statement, so one snapshot: the DELETE
-- removes exactly the rows the two aggregates read (rows of transactions still open stay for the
-- next fold), and reading the table twice costs less than keeping the deleted rows in a store.
-- Only rows whose key is in the dictionary are taken; the others wait for register_dims().
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

revoke execute on function pulsebot.take_changes(text, date), pulsebot.register_dims() from public;
