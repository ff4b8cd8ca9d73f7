-- Exact distinct users, together, of the given (provider, service type, model) combinations with a
-- call in [lo, hi): the "other" models of a report, whose users cannot be added up per model. A
-- day or less reads raw rows. SECURITY DEFINER like every raw read (usage_rows.sql); the runtime
-- role's only. Null or empty names are 'unknown', as in the rollups.
create or replace function pulsebot.usage_users_of_models(
  lo timestamptz, hi timestamptz, providers text[], service_types text[], models text[])
  returns bigint
  language sql stable security definer
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select count(distinct a.user_id)
  from public.api_usage a
  join unnest(providers, service_types, models) as k(provider, service_type, model)
    on k.provider = coalesce(nullif(a.provider::text, ''), 'unknown')
   and k.service_type = coalesce(nullif(a.service_type::text, ''), 'unknown')
   and k.model = coalesce(nullif(a.model::text, ''), 'unknown')
  where a.created_at >= lo and a.created_at < hi
$$;

revoke all on function pulsebot.usage_users_of_models(timestamptz, timestamptz, text[], text[], text[]) from public;
