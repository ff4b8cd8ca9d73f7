-- The capture triggers do less per statement: apps write api_usage one row per API call, so
-- whatever a trigger sets up once per statement, it sets up once per row.
--
-- Counted with callgrind (`npm run bench:capture`: instructions per single-row INSERT on
-- PostgreSQL 15, commit excluded): no capture 260.7k; the plainest delta-log trigger (rows copied
-- as they are) +32.6k; the capture as it was +103.0k, now +72.5k. Where the 30.5k went:
--   - `SET search_path` on the functions: 13.5k (the GUC set and restored on every call). It
--     guarded the SQL inside the inlined helpers, whose text was parsed again, with the writer's
--     search_path, wherever it was inlined: a writer's operator could run with the owner's
--     rights. The helpers are now BEGIN ATOMIC (parsed once, here, with the migration's
--     search_path; still inlined), and the triggers' own statements name only schema-qualified
--     functions and tables, and their transition tables (test/rollup/capture-security).
--   - ~9k for each derived column a statement computed, its expression built again every time.
--     The latency bin and the video seconds' millionths are left to the takes, which already
--     handled rows captured without them (coalesce(bin, latency_bin(...)); video seconds summed as
--     numeric when their millionths are null, which only video rows pay). Interleaved A/B of
--     `pulsebot refresh` at 10M rows, 100k new rows a round, 7 rounds each: measures part median
--     148 ms with this, 150 ms without.
--   - The dictionary key and the cost's millionths stay. Computing the cost's millionths in the
--     takes instead (every row has a cost, and numeric arithmetic allocates) made the measures
--     part ~50 ms slower in the same A/B (280 vs 230 ms); grouping by the three names instead of
--     the key cost ~60 ms per 100k rows in both parts (000018).

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

-- As in 000018, without the bin and the video millionths, and without SET search_path (above).
-- Still SECURITY DEFINER: the application's role needs no privileges on the pulsebot schema.
do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code, dim_key, cost_micros';
  vals text;
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end
          || ', pulsebot.dim_key(r.provider, r.service_type, r.model), pulsebot.millionths(r.cost_usd)';

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
