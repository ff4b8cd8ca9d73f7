-- Replaces the change log with a copy of api_usage in ONE statement, so both sides share one
-- snapshot: a log row it deletes belongs to a transaction whose rows it copies, and a writer
-- committing later keeps its log rows for the next fold. Concurrent writers are never blocked.
-- Generated from the columns api_usage really has and their types, as the capture is.
do $$
declare
  -- api_usage's own columns as the log's: numeric counts through bigint_of() and a numeric latency
  -- through float8_of(), which never fail, so an odd value never blocks the writer; the cost as
  -- numeric whatever its type (millionths() takes numeric); a missing error_code is null.
  vals constant text := (
    select pg_catalog.string_agg(case when a.attname is null then 'null'
                                      when c.via is not null and a.atttypid = 'pg_catalog.numeric'::pg_catalog.regtype
                                        then pg_catalog.format('pulsebot.%s(r.%I)', c.via, c.name)
                                      else pg_catalog.format('r.%I', c.name) end, ', ' order by c.i)
    from unnest(array['created_at', 'user_id', 'provider', 'service_type', 'model', 'input_tokens', 'output_tokens',
                      'images', 'video_seconds', 'cost_usd', 'latency_ms', 'success', 'error_code'],
                array[null, null, null, null, null, 'bigint_of', 'bigint_of', 'bigint_of', null, null, 'float8_of', null, null])
         with ordinality as c(name, via, i)
    left join pg_catalog.pg_attribute a on a.attrelid = 'public.api_usage'::regclass and a.attname = c.name and not a.attisdropped)
    || ', pulsebot.latency_bin(' || case when exists (
         select 1 from pg_catalog.pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'latency_ms'
           and atttypid = 'pg_catalog.numeric'::pg_catalog.regtype) then 'pulsebot.float8_of(r.latency_ms)' else 'r.latency_ms' end
    || '), pulsebot.dim_key(r.provider, r.service_type, r.model), '
       'pulsebot.millionths(r.cost_usd::pg_catalog.numeric), pulsebot.millionths(r.video_seconds::pg_catalog.numeric)';
begin
  execute format($f$
    create or replace function pulsebot.reload_changes_from_usage() returns void
      language sql set search_path = pg_catalog, pg_temp
    as $b$
      with gone as (delete from pulsebot.usage_changes)
      insert into pulsebot.usage_changes (sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, images, video_seconds, cost_usd, latency_ms, success, error_code, bin, dim_key, cost_micros, video_micros) select 1, %1$s from public.api_usage r;
    $b$ $f$, vals);
end
$$;

revoke all on function pulsebot.reload_changes_from_usage() from public;
