-- The raw api_usage rows with created_at in [lo, hi], for reads that need single rows (alert
-- windows of minutes, the edges of baseline spans). Every raw read goes through a SECURITY DEFINER
-- function like this one, owned by the owner of api_usage: pulsebot counts every row whatever
-- row-level security the application set for its own roles (docs/security.md). Generated from the
-- columns the table really has (error_code is optional) and their types. Only the runtime role may
-- call it. Names as the rollups keep them (null or empty: 'unknown'); cost and latency as stored,
-- for the callers to leave out what the rollups leave out (pulsebot.finite, pulsebot.usable_latency;
-- docs/data-quality.md), a numeric latency through float8_of(), which never fails.
do $$
declare
  error_code constant text := case when exists (
      select 1 from pg_catalog.pg_attribute where attrelid = 'public.api_usage'::regclass
        and attname = 'error_code' and not attisdropped) then 'a.error_code::text' else 'null::text' end;
  latency constant text := case when exists (
      select 1 from pg_catalog.pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'latency_ms'
        and atttypid = 'pg_catalog.numeric'::pg_catalog.regtype) then 'pulsebot.float8_of(a.latency_ms)' else 'a.latency_ms::double precision' end;
begin
  execute pg_catalog.format($f$
    create or replace function pulsebot.usage_rows(lo timestamptz, hi timestamptz)
      returns table (created_at timestamptz, user_id text, provider text, service_type text, model text,
                     cost_usd numeric, latency_ms double precision, success boolean, error_code text)
      language sql stable security definer
      set search_path to 'pg_catalog', 'pg_temp'
    as $b$
      select a.created_at, a.user_id::text, coalesce(nullif(a.provider::text, ''), 'unknown'),
             coalesce(nullif(a.service_type::text, ''), 'unknown'), coalesce(nullif(a.model::text, ''), 'unknown'),
             a.cost_usd::numeric, %s, a.success, %s
      from public.api_usage a
      where a.created_at >= lo and a.created_at <= hi
    $b$ $f$, latency, error_code);
end
$$;

revoke all on function pulsebot.usage_rows(timestamptz, timestamptz) from public;
