-- Calls and cost per user in [lo, hi) (null: the calls without a user, as one row), for the
-- Users and Finance sections. SECURITY DEFINER like every raw read (usage_rows.sql). A null, NaN or
-- infinite cost adds nothing, as in the rollups (docs/data-quality.md).
create or replace function pulsebot.usage_by_user(lo timestamptz, hi timestamptz)
  returns table (user_id text, requests bigint, cost_usd numeric)
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select a.user_id::text, count(*), coalesce(sum(pulsebot.finite(a.cost_usd::numeric)), 0)
  from public.api_usage a
  where a.created_at >= lo and a.created_at < hi
  group by a.user_id
$$;

revoke all on function pulsebot.usage_by_user(timestamptz, timestamptz) from public;
