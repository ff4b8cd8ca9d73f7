-- Exact distinct users per (provider, service type, model) with a call in [lo, hi): a day or less
-- reads raw rows, which beats the (model, user, day) sets. SECURITY DEFINER like every raw read
-- (usage_rows.sql); the runtime role's only. Null or empty names are 'unknown', as in the rollups.
create or replace function pulsebot.usage_users_by_model(lo timestamptz, hi timestamptz)
  returns table (provider text, service_type text, model text, users bigint)
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select coalesce(nullif(a.provider::text, ''), 'unknown'), coalesce(nullif(a.service_type::text, ''), 'unknown'),
         coalesce(nullif(a.model::text, ''), 'unknown'), count(distinct a.user_id)
  from public.api_usage a
  where a.created_at >= lo and a.created_at < hi and a.user_id is not null
  group by 1, 2, 3
$$;

revoke all on function pulsebot.usage_users_by_model(timestamptz, timestamptz) from public;
