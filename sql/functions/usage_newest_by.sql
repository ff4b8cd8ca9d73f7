-- The newest api_usage row in (since, at] of every value of a scope (provider, model or service
-- type; null or empty names as "unknown", as the rollups and alert scope keys spell them): the
-- dead-man switch per scope. SECURITY DEFINER like every raw read (usage_rows.sql); the runtime
-- role's only.
create or replace function pulsebot.usage_newest_by(scope text, at timestamptz, since timestamptz)
  returns table (value text, newest timestamptz)
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select case scope
           when 'provider' then coalesce(nullif(a.provider::text, ''), 'unknown')
           when 'model' then coalesce(nullif(a.model::text, ''), 'unknown')
           when 'service_type' then coalesce(nullif(a.service_type::text, ''), 'unknown')
           else 'all'
         end, max(a.created_at)
  from public.api_usage a
  where a.created_at <= at and a.created_at > since
  group by 1
$$;

revoke all on function pulsebot.usage_newest_by(text, timestamptz, timestamptz) from public;
