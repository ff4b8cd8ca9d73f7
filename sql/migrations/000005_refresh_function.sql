-- refresh_analytics_views(): what pg_cron (or anybody with EXECUTE) calls to refresh the
-- dashboard, and what `pulsebot refresh` calls too, so both paths are logged the same way.
--
-- SECURITY DEFINER so a low-privileged scheduler role can refresh views it does not own; hence
-- the pinned search_path (nobody can shadow pg_catalog functions with their own) and no EXECUTE
-- for PUBLIC (nor for Supabase's API roles, which get EXECUTE on new functions by default).
--
-- A failing view does not stop the others and does not raise: raising would roll back the log
-- row that records the failure, and a silent dashboard is what this exists to prevent. Callers
-- read the returned rows (pulsebot exits 1 on any 'failed'); doctor and alerts read the log.
create function public.refresh_analytics_views()
  returns table (view_name text, outcome text, row_count bigint, started_at timestamptz,
                 finished_at timestamptz, error text)
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v text;
  t0 timestamptz;
  n bigint;
begin
  foreach v in array array['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] loop
    t0 := clock_timestamp();
    begin
      execute format('refresh materialized view concurrently public.%I', v);
      execute format('select count(*) from public.%I', v) into n;
      view_name := v; outcome := 'ok'; row_count := n; error := null;
    exception when others then
      view_name := v; outcome := 'failed'; row_count := null; error := sqlerrm;
    end;
    started_at := t0;
    finished_at := clock_timestamp();
    insert into pulsebot.refresh_log (view_name, started_at, finished_at, row_count, outcome, error, invoked_by)
    values (view_name, started_at, finished_at, row_count, outcome, error,
            nullif(current_setting('application_name', true), ''));
    return next;
  end loop;
  -- Keep the log bounded: three rows every few minutes add up.
  delete from pulsebot.refresh_log l where l.finished_at < now() - interval '90 days';
end
$$;

revoke execute on function public.refresh_analytics_views() from public;

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke execute on function public.refresh_analytics_views() from %I', r);
    end if;
  end loop;
end
$$;
