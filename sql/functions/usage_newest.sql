-- The newest api_usage row at or before `at` (a row from the future does not make data fresh),
-- of one scope value or of all rows: an index scan backwards that stops at the first match.
-- SECURITY DEFINER like every raw read (usage_rows.sql); the runtime role's only.
create or replace function pulsebot.usage_newest(at timestamptz, scope text default 'all', value text default null)
  returns timestamptz
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select max(a.created_at) from public.api_usage a
  where a.created_at <= at
    and (scope = 'all' or value = case scope
           when 'provider' then coalesce(nullif(a.provider::text, ''), 'unknown')
           when 'model' then coalesce(nullif(a.model::text, ''), 'unknown')
           when 'service_type' then coalesce(nullif(a.service_type::text, ''), 'unknown')
         end)
$$;

revoke all on function pulsebot.usage_newest(timestamptz, text, text) from public;
