-- Whether pulsebot's raw reads see every row of api_usage and user_subscriptions. They run as
-- the owner of the SECURITY DEFINER readers (usage_rows.sql), which row-level security skips when
-- it owns the table (or is a superuser, or has BYPASSRLS), unless the table FORCEs it. `doctor`
-- shows a ✗ and reports refuse to run when a table is only partly visible: partial numbers are
-- never presented as complete.
create or replace function pulsebot.usage_visibility()
  returns table (table_name text, reader text, complete boolean, reason text)
  language sql stable
  set search_path to 'pg_catalog', 'pg_temp'
as $$
  select t.name, r.rolname,
         not c.relrowsecurity or r.rolsuper or r.rolbypassrls
           or (pg_has_role(r.oid, c.relowner, 'USAGE') and not c.relforcerowsecurity),
         case
           when not c.relrowsecurity or r.rolsuper or r.rolbypassrls then null
           when pg_has_role(r.oid, c.relowner, 'USAGE') and c.relforcerowsecurity then
             format('%s has FORCE ROW LEVEL SECURITY, which applies its policies to its owner %s, whose functions pulsebot reads it through',
                    t.name, r.rolname)
           when not pg_has_role(r.oid, c.relowner, 'USAGE') then
             format('%s has row-level security and is owned by %s, not by %s, who ran `pulsebot migrate` and whose functions pulsebot reads it through',
                    t.name, pg_get_userbyid(c.relowner), r.rolname)
         end
  from (values ('api_usage'), ('user_subscriptions')) as t(name)
  join pg_class c on c.oid = to_regclass('public.' || t.name)
  join pg_roles r on r.oid = (select p.proowner from pg_proc p
                              where p.oid = 'pulsebot.usage_rows(timestamptz, timestamptz)'::regprocedure)
$$;
