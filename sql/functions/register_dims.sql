-- Gives dictionary ids to provider × service type × model combinations seen for the first time in
-- the log or the detached rows, and re-keys rows whose dim_key is not their names' hash (captured
-- by another build of pulsebot, or restored from another machine), so the next take finds them. A
-- null or empty name is registered as 'unknown', as dim_key() hashes it.
CREATE OR REPLACE FUNCTION pulsebot.register_dims()
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  insert into pulsebot.provider_services (provider, service_type)
  select distinct coalesce(nullif(provider, ''), 'unknown'), coalesce(nullif(service_type, ''), 'unknown')
  from (select provider, service_type from pulsebot.usage_changes
        union all select provider, service_type from pulsebot.usage_changes_taken) c
  on conflict do nothing;
  insert into pulsebot.usage_dims (provider, service_type, model, ps_id)
  select c.provider, c.service_type, c.model, ps.id
  from (select distinct coalesce(nullif(provider, ''), 'unknown') as provider,
               coalesce(nullif(service_type, ''), 'unknown') as service_type, coalesce(nullif(model, ''), 'unknown') as model
        from (select provider, service_type, model from pulsebot.usage_changes
              union all select provider, service_type, model from pulsebot.usage_changes_taken) r) c
  join pulsebot.provider_services ps on ps.provider = c.provider and ps.service_type = c.service_type
  on conflict do nothing;
  update pulsebot.usage_changes c set dim_key = pulsebot.dim_key(c.provider, c.service_type, c.model)
  where c.dim_key is distinct from pulsebot.dim_key(c.provider, c.service_type, c.model);
  update pulsebot.usage_changes_taken c set dim_key = pulsebot.dim_key(c.provider, c.service_type, c.model)
  where c.dim_key is distinct from pulsebot.dim_key(c.provider, c.service_type, c.model);
$function$;

revoke all on function pulsebot.register_dims() from public;
