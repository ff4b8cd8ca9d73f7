-- Drops a dashboard view or materialized view in public (never a table, never with CASCADE, so
-- anything built on it makes the drop fail) and returns the privileges it carried, which `migrate`
-- grants again on its replacement through restore_grants().
CREATE OR REPLACE FUNCTION pulsebot.drop_dashboard_view(view_name text)
 RETURNS aclitem[]
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  rel record;
begin
  select c.oid, c.relkind, c.relacl into rel
  from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname = view_name;
  if not found then
    return null;
  end if;
  if rel.relkind = 'm' then
    execute format('drop materialized view public.%I', view_name);
  elsif rel.relkind = 'v' then
    execute format('drop view public.%I', view_name);
  else
    raise exception 'public.% exists and is not a view; pulsebot will not drop it', view_name
      using hint = 'rename it, then run `pulsebot migrate` again';
  end if;
  return rel.relacl;
end
$function$;
