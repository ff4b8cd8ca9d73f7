-- Change capture on api_usage: every deleted row is logged in pulsebot.usage_changes with -1.
-- SECURITY DEFINER: the application's role writes api_usage and needs no rights on the pulsebot
-- schema. No SET search_path (it costs ~13k instructions per single-row INSERT): the statement
-- names only schema-qualified objects and the transition table. Generated from the columns the
-- table really has and their types, so an adopted table without error_code, or with looser
-- types (docs/data-quality.md), works too.
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
    || ', pulsebot.dim_key(r.provider, r.service_type, r.model), pulsebot.millionths(r.cost_usd::pg_catalog.numeric)';
begin
  execute format($f$
    create or replace function pulsebot.capture_usage_delete() returns trigger
      language plpgsql security definer
    as $b$
    begin
      insert into pulsebot.usage_changes (sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, images, video_seconds, cost_usd, latency_ms, success, error_code, dim_key, cost_micros) select -1, %1$s from old_rows r;
      return null;
    end
    $b$ $f$, vals);
end
$$;

revoke all on function pulsebot.capture_usage_delete() from public;
