-- Replaces the change log with a copy of api_usage in ONE statement, so both sides share one
-- snapshot: a log row it deletes belongs to a transaction whose rows it copies, and a writer
-- committing later keeps its log rows for the next fold. Concurrent writers are never blocked.
-- Generated from the columns api_usage really has (error_code is optional).
do $$
declare
  vals constant text := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
    'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
    || case when exists (select 1 from pg_catalog.pg_attribute where attrelid = 'public.api_usage'::regclass
                         and attname = 'error_code' and not attisdropped) then 'r.error_code' else 'null' end
    || ', pulsebot.latency_bin(r.latency_ms), pulsebot.dim_key(r.provider, r.service_type, r.model), '
       'pulsebot.millionths(r.cost_usd), pulsebot.millionths(r.video_seconds)';
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
