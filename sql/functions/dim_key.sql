-- The dictionary key of a provider × service type × model, computed by the capture so the fold
-- groups by one bigint instead of three names. pulsebot.usage_dims.key spells out the same hash:
-- changing it needs a migration that recomputes the stored keys.
create or replace function pulsebot.dim_key(provider text, service_type text, model text) returns bigint
  language sql immutable parallel safe
begin atomic
  select pg_catalog.hashtextextended(
    coalesce(provider, 'unknown') || E'\x1f' || coalesce(service_type, 'unknown') || E'\x1f' || coalesce(model, 'unknown'), 0);
end;
