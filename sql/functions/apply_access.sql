-- Who may do what with pulsebot's objects, applied by `migrate` after every definition (a view
-- created again gets default privileges back, and loses them here). Nothing is exposed by default: PUBLIC and Supabase's
-- API roles (anon, authenticated) lose whatever default privileges gave them on pulsebot's schema,
-- on every table, view and function pulsebot created, and on the dashboard views; `readers` may
-- SELECT the views; `runtime` gets exactly what every command but `migrate` needs (README
-- "Security", docs/security.md). Only the owner calls it.
create or replace function pulsebot.apply_access(runtime text, readers text[])
  returns void
  language plpgsql
  set search_path to 'pg_catalog', 'pg_temp'
as $$
declare
  api_roles text[] := array(select rolname from pg_roles where rolname in ('anon', 'authenticated'));
  closed text[];
  obj record;
  r text;
  was text[];
begin
  foreach r in array coalesce(readers, '{}') loop
    if not exists (select 1 from pg_roles where rolname = r) then
      raise exception 'dashboard.readers names the role %, which does not exist', r
        using errcode = '42704', hint = format('CREATE ROLE %I NOLOGIN; then run `pulsebot migrate` again', r);
    end if;
  end loop;
  -- PUBLIC and the API roles, except those the configuration lists as readers (for the views only).
  closed := array['public'] || api_roles;

  foreach r in array closed loop
    execute format('revoke all on schema pulsebot from %s', case when r = 'public' then 'public' else quote_ident(r) end);
  end loop;

  -- Every relation and routine in the pulsebot schema, and what pulsebot put in public: the
  -- dashboard views, the refresh functions, and the tables it created (their comment says so).
  for obj in
    select format('%s %s', case when c.relkind = 'S' then 'sequence' else 'table' end, c.oid::regclass) as target,
           c.relname in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs')
             and c.relnamespace = 'public'::regnamespace as is_view
    from pg_class c
    where c.relkind in ('r', 'v', 'm', 'S', 'p')
      and (c.relnamespace = 'pulsebot'::regnamespace
           or (c.relnamespace = 'public'::regnamespace
               and (c.relname in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs')
                    or obj_description(c.oid, 'pg_class') like '%(created by pulsebot).'
                    or exists (select 1 from pg_depend d join pg_class t on t.oid = d.refobjid
                               where d.objid = c.oid and d.deptype in ('a', 'i') and c.relkind = 'S'
                                 and obj_description(t.oid, 'pg_class') like '%(created by pulsebot).'))))
    union all
    select format('routine %s', p.oid::regprocedure), false
    from pg_proc p
    where p.pronamespace = 'pulsebot'::regnamespace
       or p.oid in (to_regprocedure('public.refresh_analytics_views()'),
                    to_regprocedure('public.refresh_analytics_step(text, timestamptz)'))
  loop
    foreach r in array closed loop
      continue when obj.is_view and r = any (coalesce(readers, '{}'));
      execute format('revoke all on %s from %s', obj.target, case when r = 'public' then 'public' else quote_ident(r) end);
    end loop;
  end loop;

  -- Readers: SELECT on the views; a role no longer listed loses it.
  was := coalesce(string_to_array((select value from pulsebot.settings where key = 'dashboard_readers'), ','), '{}');
  foreach r in array was loop
    continue when r = any (coalesce(readers, '{}')) or not exists (select 1 from pg_roles where rolname = r);
    execute format('revoke select on public.mv_daily_metrics, public.mv_provider_performance, public.mv_model_costs from %I', r);
  end loop;
  foreach r in array coalesce(readers, '{}') loop
    execute format('grant select on public.mv_daily_metrics, public.mv_provider_performance, public.mv_model_costs to %I', r);
  end loop;
  insert into pulsebot.settings (key, value) values ('dashboard_readers', array_to_string(coalesce(readers, '{}'), ','))
  on conflict (key) do update set value = excluded.value, updated_at = now()
  where pulsebot.settings.value is distinct from excluded.value;

  if runtime is null then
    return;
  end if;
  if not exists (select 1 from pg_roles where rolname = runtime) then
    raise exception 'the runtime role % does not exist', runtime using errcode = '42704';
  end if;
  -- From nothing to exactly what it needs, so a right an earlier version granted does not linger.
  execute format('revoke all on all tables in schema pulsebot from %I', runtime);
  execute format('revoke all on all sequences in schema pulsebot from %I', runtime);
  execute format('revoke all on all routines in schema pulsebot from %I', runtime);
  execute format('grant usage on schema pulsebot to %I', runtime);
  -- Reading pulsebot's own tables and views (rollups, logs, outbox) and the dashboard views.
  execute format('grant select on all tables in schema pulsebot to %I', runtime);
  execute format('grant select on public.mv_daily_metrics, public.mv_provider_performance, public.mv_model_costs to %I', runtime);
  -- Writing only what reports, alerts, silences and the daemon's job log keep.
  for obj in
    select c.oid::regclass as rel from pg_class c
    where c.relnamespace = 'pulsebot'::regnamespace
      and c.relname in ('outbox', 'outbox_blobs', 'outbox_blob_refs', 'job_runs', 'alert_states', 'alert_events', 'silences', 'alert_actions')
  loop
    execute format('grant insert, update, delete on %s to %I', obj.rel, runtime);
  end loop;
  for obj in
    select s.oid::regclass as seq from pg_class s
    join pg_depend d on d.objid = s.oid and d.deptype in ('a', 'i')
    join pg_class t on t.oid = d.refobjid
    where s.relkind = 'S' and t.relnamespace = 'pulsebot'::regnamespace
      and t.relname in ('outbox', 'outbox_blobs', 'outbox_blob_refs', 'job_runs', 'alert_states', 'alert_events', 'silences', 'alert_actions')
  loop
    execute format('grant usage on sequence %s to %I', obj.seq, runtime);
  end loop;
  -- Executing: the pure helpers the views and queries call, the raw readers (SECURITY DEFINER,
  -- they count every row), the outbox's pruning, and the refresh, which folds as the owner.
  for obj in
    select p.oid::regprocedure as fn from pg_proc p
    where p.pronamespace = 'pulsebot'::regnamespace
      and ((p.provolatile in ('i', 's') and not p.prosecdef and p.proname <> 'apply_access')
           or p.prokind = 'a'
           or p.proname in ('usage_rows', 'usage_newest', 'usage_newest_by', 'usage_future_rows', 'usage_distinct_users',
                            'usage_users_by_model', 'usage_users_of_models', 'usage_by_user', 'subscription_rows', 'prune_outbox'))
  loop
    execute format('grant execute on function %s to %I', obj.fn, runtime);
  end loop;
  execute format('grant execute on function public.refresh_analytics_views(), public.refresh_analytics_step(text, timestamptz) to %I', runtime);
end
$$;

revoke all on function pulsebot.apply_access(text, text[]) from public;
