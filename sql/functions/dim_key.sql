-- The dictionary key of a provider × service type × model, computed by the capture so the fold
-- groups by one bigint instead of three names. A null or empty name is 'unknown'. pulsebot.usage_dims.key
-- spells out the same hash over the names as stored (register_dims() stores 'unknown' for them):
-- changing it needs a migration that recomputes the stored keys.
create or replace function pulsebot.dim_key(provider text, service_type text, model text) returns bigint
  language sql immutable parallel safe
begin atomic
  select pg_catalog.hashtextextended(
    coalesce(nullif(provider, ''), 'unknown') || E'\x1f' || coalesce(nullif(service_type, ''), 'unknown') || E'\x1f'
      || coalesce(nullif(model, ''), 'unknown'), 0);
end;
