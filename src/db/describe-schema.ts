import type { Sql } from './connect.js';

/**
 * The schema of the `public` and `pulsebot` schemas as normalised SQL text: tables with their
 * columns, constraints, storage and comments; indexes; functions and aggregates with their bodies;
 * views; triggers; row-level security; privileges. Everything sorted by name, owners left out, so
 * two databases with the same schema give the same text. `sql/schema.sql` is this text for a
 * fresh install, and the upgrade test compares it between a fresh and an upgraded database.
 */
export async function describeSchema(sql: Sql, schemas: string[] = ['public', 'pulsebot']): Promise<string> {
  // Names print schema-qualified whatever the caller's search_path is.
  return sql.begin(async (tx) => {
    await tx`set local search_path = pg_catalog`;
    const q = tx as unknown as Sql;
    const parts = [
      await tables(q, schemas),
      await sequences(q, schemas),
      await indexes(q, schemas),
      await functions(q, schemas),
      await aggregates(q, schemas),
      await views(q, schemas),
      await triggers(q, schemas),
      await policies(q, schemas),
      await privileges(q, schemas),
    ];
    return `${parts.filter((p) => p.length > 0).join('\n\n')}\n`;
  });
}

interface ColumnRow {
  rel: string;
  relpersistence: string;
  reloptions: string[] | null;
  rls: boolean;
  force_rls: boolean;
  rel_comment: string | null;
  attname: string;
  type: string;
  notnull: boolean;
  default_expr: string | null;
  identity: string;
  generated: string;
  storage: string;
  default_storage: string;
  col_comment: string | null;
}

async function tables(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<ColumnRow[]>`
    select c.oid::regclass::text as rel, c.relpersistence, c.reloptions, c.relrowsecurity as rls,
           c.relforcerowsecurity as force_rls, obj_description(c.oid, 'pg_class') as rel_comment,
           a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull,
           pg_get_expr(d.adbin, d.adrelid) as default_expr, a.attidentity as identity, a.attgenerated as generated,
           a.attstorage as storage, t.typstorage as default_storage, col_description(c.oid, a.attnum) as col_comment
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
    where n.nspname = any(${schemas}) and c.relkind in ('r', 'p')
    order by 1, a.attnum`;
  const constraints = await sql<{ rel: string; conname: string; def: string }[]>`
    select c.conrelid::regclass::text as rel, c.conname, pg_get_constraintdef(c.oid) as def
    from pg_constraint c join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
    where n.nspname = any(${schemas}) and c.contype in ('p', 'u', 'f', 'c', 'x')
    order by 1, 2`;
  const byRel = new Map<string, ColumnRow[]>();
  for (const r of rows) byRel.set(r.rel, [...(byRel.get(r.rel) ?? []), r]);
  const out: string[] = [];
  for (const rel of [...byRel.keys()].sort()) {
    const cols = byRel.get(rel)!;
    const first = cols[0]!;
    const lines = cols.map((c) => {
      let line = `  ${c.attname} ${c.type}`;
      if (c.identity) line += ` generated ${c.identity === 'a' ? 'always' : 'by default'} as identity`;
      else if (c.generated) line += ` generated always as (${c.default_expr}) stored`;
      else if (c.default_expr !== null) line += ` default ${c.default_expr}`;
      if (c.notnull) line += ' not null';
      return line;
    });
    for (const k of constraints.filter((k) => k.rel === rel)) lines.push(`  constraint ${k.conname} ${k.def}`);
    const persistence = first.relpersistence === 'u' ? 'unlogged ' : '';
    const options = first.reloptions?.length ? ` with (${[...first.reloptions].sort().join(', ')})` : '';
    const stmts = [`create ${persistence}table ${rel} (\n${lines.join(',\n')}\n)${options};`];
    for (const c of cols) {
      if (c.storage !== c.default_storage)
        stmts.push(`alter table ${rel} alter column ${c.attname} set storage ${storageName(c.storage)};`);
    }
    if (first.rls) stmts.push(`alter table ${rel} enable row level security;`);
    if (first.force_rls) stmts.push(`alter table ${rel} force row level security;`);
    if (first.rel_comment !== null) stmts.push(`comment on table ${rel} is ${literal(first.rel_comment)};`);
    for (const c of cols) {
      if (c.col_comment !== null) stmts.push(`comment on column ${rel}.${c.attname} is ${literal(c.col_comment)};`);
    }
    out.push(stmts.join('\n'));
  }
  return out.join('\n\n');
}

function storageName(s: string): string {
  return ({ p: 'plain', e: 'external', m: 'main', x: 'extended' } as Record<string, string>)[s] ?? s;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

async function sequences(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ line: string }[]>`
    select format('create sequence %s as %s start with %s increment by %s minvalue %s maxvalue %s cache %s%s;%s',
                  c.oid::regclass, format_type(s.seqtypid, null), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                  case when s.seqcycle then ' cycle' else '' end,
                  coalesce((select format(' -- %s of %s.%s', case when d.deptype = 'i' then 'identity' else 'owned by' end,
                                          d.refobjid::regclass, a.attname)
                            from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')), '')) as line
    from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas})
    order by c.oid::regclass::text`;
  return rows.map((r) => r.line).join('\n');
}

async function indexes(sql: Sql, schemas: string[]): Promise<string> {
  // Indexes behind constraints are described by the constraint.
  const rows = await sql<{ def: string }[]>`
    select pg_get_indexdef(i.indexrelid) || ';' as def
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas})
      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
    order by c.relname`;
  return rows.map((r) => r.def).join('\n');
}

async function functions(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ def: string; comment: string | null; sig: string }[]>`
    select pg_get_functiondef(p.oid) as def, obj_description(p.oid, 'pg_proc') as comment,
           p.oid::regprocedure::text as sig
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = any(${schemas}) and p.prokind in ('f', 'p')
      and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    order by n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)`;
  return rows
    .map(
      (r) =>
        `${r.def.trimEnd()};${r.comment === null ? '' : `\ncomment on function ${r.sig} is ${literal(r.comment)};`}`,
    )
    .join('\n\n');
}

async function aggregates(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<
    {
      name: string;
      args: string;
      sfunc: string;
      stype: string;
      combine: string | null;
      initcond: string | null;
      parallel: string;
    }[]
  >`
    select p.oid::regproc::text as name, pg_get_function_identity_arguments(p.oid) as args,
           a.aggtransfn::regproc::text as sfunc, format_type(a.aggtranstype, null) as stype,
           nullif(a.aggcombinefn, 0)::regproc::text as combine, a.agginitval as initcond, p.proparallel as parallel
    from pg_aggregate a join pg_proc p on p.oid = a.aggfnoid join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = any(${schemas})
    order by 1, 2`;
  return rows
    .map((r) => {
      const opts = [`sfunc = ${r.sfunc}`, `stype = ${r.stype}`];
      if (r.combine) opts.push(`combinefunc = ${r.combine}`);
      // Long initial values (a 4,096-bit block of zeros) are summarised, not spelt out.
      if (r.initcond !== null)
        opts.push(`initcond = ${r.initcond.length > 64 ? `<${r.initcond.length} characters>` : literal(r.initcond)}`);
      if (r.parallel !== 'u') opts.push(`parallel = ${r.parallel === 's' ? 'safe' : 'restricted'}`);
      return `create aggregate ${r.name}(${r.args}) (${opts.join(', ')});`;
    })
    .join('\n');
}

async function views(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ rel: string; kind: string; def: string }[]>`
    select c.oid::regclass::text as rel, c.relkind as kind, pg_get_viewdef(c.oid) as def
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas}) and c.relkind in ('v', 'm')
    order by 1`;
  return rows
    .map((r) => `create ${r.kind === 'm' ? 'materialized ' : ''}view ${r.rel} as\n${r.def.trimEnd()}`)
    .join('\n\n');
}

async function triggers(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ def: string }[]>`
    select pg_get_triggerdef(t.oid) || ';' as def
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas}) and not t.tgisinternal
    order by c.oid::regclass::text, t.tgname`;
  return rows.map((r) => r.def).join('\n');
}

async function policies(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ line: string }[]>`
    select format('create policy %I on %s as %s for %s to %s%s%s;', p.polname, p.polrelid::regclass,
                  case when p.polpermissive then 'permissive' else 'restrictive' end,
                  case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end,
                  coalesce((select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end, ', ' order by 1)
                            from unnest(p.polroles) r), 'public'),
                  coalesce(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
                  coalesce(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')) as line
    from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas})
    order by p.polrelid::regclass::text, p.polname`;
  return rows.map((r) => r.line).join('\n');
}

/**
 * Privileges other than the owner's, per object; `revoke all … from public` where the default
 * (PUBLIC may execute a function, use a schema) was taken away.
 */
async function privileges(sql: Sql, schemas: string[]): Promise<string> {
  const rows = await sql<{ line: string }[]>`
    with objects as (
      select case c.relkind when 'S' then 'sequence' else 'table' end as kind, c.oid::regclass::text as name,
             c.relacl as acl, c.relowner as owner
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any(${schemas}) and c.relkind in ('r', 'p', 'v', 'm', 'S')
      union all
      select case p.prokind when 'p' then 'procedure' else 'function' end, p.oid::regprocedure::text, p.proacl, p.proowner
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any(${schemas})
      union all
      select 'schema', n.nspname::text, n.nspacl, n.nspowner from pg_namespace n where n.nspname = any(${schemas})
    ), grants as (
      select o.kind, o.name, case when e.grantee = 0 then 'public' else pg_get_userbyid(e.grantee) end as grantee,
             string_agg(lower(e.privilege_type), ', ' order by e.privilege_type) as privs
      from objects o, aclexplode(o.acl) e
      where e.grantee <> o.owner
      group by 1, 2, 3
    )
    select line from (
      select o.kind, o.name, 0 as ord, format('revoke all on %s %s from public;', o.kind, o.name) as line
      from objects o
      where o.acl is not null and o.kind in ('function', 'procedure', 'schema')
        and not exists (select 1 from aclexplode(o.acl) e where e.grantee = 0)
      union all
      select g.kind, g.name, 1, format('grant %s on %s %s to %s;', g.privs, g.kind, g.name, g.grantee) from grants g
    ) l
    order by kind, name, ord, line`;
  return rows.map((r) => r.line).join('\n');
}

/** sql/schema.sql: the schema of a freshly migrated database, with a header saying how it is made. */
export async function freshSchemaText(sql: Sql): Promise<string> {
  const [version] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
  const major = version?.v.split('.')[0] ?? '?';
  return (
    `-- The schema \`pulsebot migrate\` leaves a fresh database with (PostgreSQL ${major}), normalised.\n` +
    '-- Generated by `npm run schema:dump`; do not edit. A test fails when it is stale.\n\n' +
    (await describeSchema(sql))
  );
}
