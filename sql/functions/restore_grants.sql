-- Grants a recreated dashboard view the privileges its predecessor carried (the ACL
-- drop_dashboard_view() returned), except the owner's, which ownership gives.
CREATE OR REPLACE FUNCTION pulsebot.restore_grants(view_name text, acl aclitem[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  g record;
  owner oid;
begin
  if acl is null then
    return;
  end if;
  select c.relowner into owner from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relname = view_name;
  for g in select * from aclexplode(acl) loop
    continue when g.grantee = owner;
    execute format('grant %s on public.%I to %s', g.privilege_type, view_name,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end);
  end loop;
end
$function$;
