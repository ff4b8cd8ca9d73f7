-- How many api_usage rows are dated after `after` (clock skew in the application): reported,
-- never counted as fresh data. SECURITY DEFINER like every raw read (usage_rows.sql).
create or replace function pulsebot.usage_future_rows(after timestamptz)
  returns bigint
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select count(*) from public.api_usage a where a.created_at > after
$$;

revoke all on function pulsebot.usage_future_rows(timestamptz) from public;
