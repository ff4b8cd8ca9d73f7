-- Exact distinct users with a call in [lo, hi), for ranges that are not whole days of the rollups'
-- zone. SECURITY DEFINER like every raw read (usage_rows.sql); the runtime role's only.
create or replace function pulsebot.usage_distinct_users(lo timestamptz, hi timestamptz)
  returns bigint
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select count(distinct a.user_id) from public.api_usage a where a.created_at >= lo and a.created_at < hi
$$;

revoke all on function pulsebot.usage_distinct_users(timestamptz, timestamptz) from public;
