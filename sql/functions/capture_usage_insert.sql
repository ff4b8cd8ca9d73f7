-- Change capture on api_usage: every inserted row is logged in pulsebot.usage_changes with +1.
-- SECURITY DEFINER: the application's role writes api_usage and needs no rights on the pulsebot
-- schema. No SET search_path (it costs ~13k instructions per single-row INSERT): the statement
-- names only schema-qualified objects and the transition table. Generated from the columns the
-- table really has, so an adopted table without error_code works too.
do $$
declare
  vals constant text := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
    'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
    || case when exists (select 1 from pg_catalog.pg_attribute where attrelid = 'public.api_usage'::regclass
                         and attname = 'error_code' and not attisdropped) then 'r.error_code' else 'null' end
    || ', pulsebot.dim_key(r.provider, r.service_type, r.model), pulsebot.millionths(r.cost_usd)';
begin
  execute format($f$
    create or replace function pulsebot.capture_usage_insert() returns trigger
      language plpgsql security definer
    as $b$
    begin
      insert into pulsebot.usage_changes (sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, images, video_seconds, cost_usd, latency_ms, success, error_code, dim_key, cost_micros) select 1, %1$s from new_rows r;
      return null;
    end
    $b$ $f$, vals);
end
$$;

revoke all on function pulsebot.capture_usage_insert() from public;
