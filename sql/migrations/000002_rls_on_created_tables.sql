-- The tables pulsebot created in public (their comment says so) are reachable through a Supabase
-- project's API: with row-level security on, the API roles read and write nothing there, whatever
-- grants default privileges give them. A role that was already granted rights on such a table
-- (an application writing api_usage, say) keeps them through a policy of its own, so turning RLS
-- on breaks no writer; the API roles and PUBLIC get none. The application's own tables are left as
-- they are. pulsebot reads both tables through SECURITY DEFINER functions owned by their owner,
-- which row-level security does not restrict.
do $$
declare
  t record;
  g record;
begin
  for t in
    select c.oid, c.oid::regclass as rel, c.relowner from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and pg_catalog.obj_description(c.oid, 'pg_class') like '%(created by pulsebot).'
      and not c.relrowsecurity
  loop
    for g in
      select distinct r.rolname from pg_catalog.aclexplode(
               (select c.relacl from pg_catalog.pg_class c where c.oid = t.oid)) x
      join pg_catalog.pg_roles r on r.oid = x.grantee
      where x.grantee <> t.relowner and r.rolname not in ('anon', 'authenticated')
    loop
      execute pg_catalog.format('create policy %I on %s for all to %I using (true) with check (true)',
                                'pulsebot_keeps_' || g.rolname, t.rel, g.rolname);
    end loop;
    execute pg_catalog.format('alter table %s enable row level security', t.rel);
  end loop;
end
$$;
