-- The tables pulsebot created in public (their comment says so) are reachable through a Supabase
-- project's API: with row-level security on and no policy, the API roles read and write nothing
-- there, whatever grants default privileges give them. The application's own tables are left as
-- they are. pulsebot reads them through SECURITY DEFINER functions owned by their owner, which
-- row-level security does not restrict.
do $$
declare
  t regclass;
begin
  for t in
    select c.oid::regclass from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and pg_catalog.obj_description(c.oid, 'pg_class') like '%(created by pulsebot).'
  loop
    execute pg_catalog.format('alter table %s enable row level security', t);
  end loop;
end
$$;
