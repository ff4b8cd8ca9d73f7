-- What pg_cron (or any scheduler) calls: the fold and the three views, each step in its own
-- subtransaction and logged in pulsebot.refresh_log. SECURITY DEFINER with a pinned search_path;
-- EXECUTE is revoked from PUBLIC and from Supabase's API roles.
CREATE OR REPLACE FUNCTION public.refresh_analytics_views()
 RETURNS TABLE(view_name text, outcome text, row_count bigint, started_at timestamp with time zone, finished_at timestamp with time zone, error text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET jit TO 'off'
AS $function$
declare
  v text;
begin
  foreach v in array array['rollups', 'mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] loop
    return query select * from public.refresh_analytics_step(v);
  end loop;
end
$function$;

revoke all on function public.refresh_analytics_views() from public;

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('revoke execute on function public.refresh_analytics_views() from %I', r);
    end if;
  end loop;
end
$$;
