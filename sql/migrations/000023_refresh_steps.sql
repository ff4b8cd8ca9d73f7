-- `pulsebot refresh` runs a refresh as steps (detach, the two parts, the fold's tail, each view),
-- each in a transaction of its own, the independent ones side by side (see 000021 and
-- src/db/refresh.ts); refresh_analytics_views() runs the same steps one after another in one.

-- One step of a refresh, logged in refresh_log as refresh_analytics_views() logs it:
--   'detach'                (its own transaction) detach_changes(); row_count 1 if it swapped
--   'measures', 'users'     fold_taken(); row_count the change rows it folded
--   'rollups'               fold_changes(), with the parts' rows; `since` is when the refresh
--                           began (the detach), so the logged fold covers the parts too
--   a view's name           REFRESH MATERIALIZED VIEW CONCURRENTLY
-- Only 'rollups' and the views are logged (the parts' work is logged with 'rollups', and a part
-- that fails is folded by it). A failed step does not raise, for the reason refresh_analytics_views()
-- does not. SECURITY DEFINER like it, with the same EXECUTE grants.
create function public.refresh_analytics_step(step text, since timestamptz default null)
  returns table (view_name text, outcome text, row_count bigint, started_at timestamptz,
                 finished_at timestamptz, error text)
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
  set jit = off
  set work_mem = '64MB'
as $$
declare
  n bigint;
  logged boolean := step not in ('detach', 'measures', 'users');
begin
  started_at := coalesce(since, clock_timestamp());
  begin
    case
      when step = 'detach' then n := pulsebot.detach_changes()::integer;
      when step in ('measures', 'users') then n := pulsebot.fold_taken(step);
      when step = 'rollups' then n := pulsebot.fold_changes();
      when step in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs') then
        execute format('refresh materialized view concurrently public.%I', step);
        execute format('select count(*) from public.%I', step) into n;
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
$$;

-- Same signature, owner, grants and settings (000009, 000016): the same steps, one after another.
create or replace function public.refresh_analytics_views()
  returns table (view_name text, outcome text, row_count bigint, started_at timestamptz,
                 finished_at timestamptz, error text)
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
  set jit = off
as $$
declare
  v text;
begin
  foreach v in array array['rollups', 'mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] loop
    return query select * from public.refresh_analytics_step(v);
  end loop;
end
$$;

revoke execute on function public.refresh_analytics_step(text, timestamptz) from public;

-- Whoever may call refresh_analytics_views() may call its steps (Supabase's API roles may not).
do $$
declare
  r text;
begin
  for r in
    select rolname from pg_roles
    where has_function_privilege(oid, 'public.refresh_analytics_views()', 'execute')
      and oid <> (select proowner from pg_proc where oid = 'public.refresh_analytics_views()'::regprocedure)
      and not rolsuper and rolname not in ('anon', 'authenticated')
  loop
    execute format('grant execute on function public.refresh_analytics_step(text, timestamptz) to %I', r);
  end loop;
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke execute on function public.refresh_analytics_step(text, timestamptz) from %I', r);
    end if;
  end loop;
end
$$;
