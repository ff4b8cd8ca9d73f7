-- One step of a refresh (detach, measures, users, rollups, or one dashboard view), logged unless
-- it is a part of the fold or upkeep. `pulsebot refresh` calls the steps on several connections so
-- the fold's parts and the views run side by side. `compact` merges the pending rollup deltas when
-- they reach rollup_state.compact_after_rows, short of that only the pending daily histograms
-- (reported as compact_histograms); `fold` is `rollups` unlogged, for a report that folds the
-- latest rows first. The runtime role folds and compacts as the owner, through this function.
CREATE OR REPLACE FUNCTION public.refresh_analytics_step(step text, since timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS TABLE(view_name text, outcome text, row_count bigint, started_at timestamp with time zone, finished_at timestamp with time zone, error text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET jit TO 'off'
 SET work_mem TO '64MB'
AS $function$
declare
  n bigint;
  logged boolean := step not in ('detach', 'measures', 'users', 'compact', 'fold');
begin
  started_at := coalesce(since, clock_timestamp());
  begin
    case
      when step = 'detach' then n := pulsebot.detach_changes()::integer;
      when step in ('measures', 'users') then n := pulsebot.fold_taken(step);
      when step in ('rollups', 'fold') then n := pulsebot.fold_changes();
      when step in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs') then
        -- Shared with the other views, exclusive to migrate's grants on them: a GRANT beside a
        -- concurrent refresh fails with "tuple concurrently updated" (src/db/migrate.ts).
        perform pg_catalog.pg_advisory_xact_lock_shared(1886743670);
        execute format('refresh materialized view concurrently public.%I', step);
        execute format('select count(*) from public.%I', step) into n;
      when step = 'compact' then
        if (select s.pending_rows >= s.compact_after_rows from pulsebot.rollup_state s) then
          n := pulsebot.compact_rollups();
        else
          n := pulsebot.compact_daily_histograms();
          step := 'compact_histograms';
        end if;
      else
        raise exception 'unknown refresh step %', step using errcode = '22023';
    end case;
    view_name := step; outcome := 'ok'; row_count := n; error := null;
  exception when others then
    view_name := step; outcome := 'failed'; row_count := null; error := sqlerrm;
  end;
  finished_at := clock_timestamp();
  if logged then
    insert into pulsebot.refresh_log (view_name, started_at, finished_at, row_count, outcome, error, invoked_by)
    values (view_name, started_at, finished_at, row_count, outcome, error,
            nullif(current_setting('application_name', true), ''));
  end if;
  if step = 'rollups' then
    -- Keep the log bounded: four rows every few minutes add up.
    delete from pulsebot.refresh_log l where l.finished_at < now() - interval '90 days';
  end if;
  return next;
end
$function$;

revoke all on function public.refresh_analytics_step(text,timestamp with time zone) from public;

-- Whoever may call refresh_analytics_views() may call its steps (Supabase's API roles may not).
do $$
declare
  r text;
begin
  for r in
    select rolname from pg_catalog.pg_roles
    where pg_catalog.has_function_privilege(oid, 'public.refresh_analytics_views()', 'execute')
      and oid <> (select proowner from pg_catalog.pg_proc where oid = 'public.refresh_analytics_views()'::pg_catalog.regprocedure)
      and not rolsuper and rolname not in ('anon', 'authenticated')
  loop
    execute pg_catalog.format('grant execute on function public.refresh_analytics_step(text, timestamptz) to %I', r);
  end loop;
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('revoke execute on function public.refresh_analytics_step(text, timestamptz) from %I', r);
    end if;
  end loop;
end
$$;
