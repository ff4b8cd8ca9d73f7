-- Change capture on api_usage. The trigger functions are SECURITY DEFINER: the application's
-- role inserts into api_usage and must not need privileges on the pulsebot schema (a missing
-- GRANT would otherwise make the application's own writes fail). They are generated here from
-- the columns the table really has, so an adopted table without error_code still works.
do $$
declare
  has_error_code boolean := exists (
    select 1 from pg_attribute where attrelid = 'public.api_usage'::regclass and attname = 'error_code' and not attisdropped);
  cols constant text := 'sign, created_at, user_id, provider, service_type, model, input_tokens, output_tokens, '
                        'images, video_seconds, cost_usd, latency_ms, success, error_code';
  vals text;
begin
  vals := 'r.created_at, r.user_id, r.provider, r.service_type, r.model, r.input_tokens, r.output_tokens, '
          'r.images, r.video_seconds, r.cost_usd, r.latency_ms, r.success, '
          || case when has_error_code then 'r.error_code' else 'null' end;

  execute format($f$
    create function pulsebot.capture_usage_insert() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create function pulsebot.capture_usage_delete() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s) select -1, %2$s from old_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  execute format($f$
    create function pulsebot.capture_usage_update() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp
    as $b$
    begin
      insert into pulsebot.usage_changes (%1$s)
      select -1, %2$s from old_rows r
      union all
      select 1, %2$s from new_rows r;
      return null;
    end
    $b$ $f$, cols, vals);

  -- Replaces the change log with a copy of api_usage in ONE statement, so both sides share one
  -- snapshot: a log row it deletes belongs to a transaction whose rows it copies, and a writer
  -- committing later keeps its log rows for the next fold. Concurrent writers are never blocked.
  execute format($f$
    create function pulsebot.reload_changes_from_usage() returns void
      language sql set search_path = pg_catalog, pg_temp
    as $b$
      with gone as (delete from pulsebot.usage_changes)
      insert into pulsebot.usage_changes (%1$s) select 1, %2$s from public.api_usage r;
    $b$ $f$, cols, vals);
end
$$;

-- TRUNCATE has no transition table; the rollups are rebuilt from api_usage at the next fold.
create function pulsebot.capture_usage_truncate() returns trigger
  language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
begin
  update pulsebot.rollup_state set needs_rebuild = true;
  return null;
end
$$;

create trigger pulsebot_capture_insert after insert on public.api_usage
  referencing new table as new_rows for each statement execute function pulsebot.capture_usage_insert();
create trigger pulsebot_capture_update after update on public.api_usage
  referencing old table as old_rows new table as new_rows for each statement execute function pulsebot.capture_usage_update();
create trigger pulsebot_capture_delete after delete on public.api_usage
  referencing old table as old_rows for each statement execute function pulsebot.capture_usage_delete();
create trigger pulsebot_capture_truncate after truncate on public.api_usage
  for each statement execute function pulsebot.capture_usage_truncate();

revoke execute on function pulsebot.capture_usage_insert(), pulsebot.capture_usage_delete(),
  pulsebot.capture_usage_update(), pulsebot.capture_usage_truncate(), pulsebot.reload_changes_from_usage() from public;
