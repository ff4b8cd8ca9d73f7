import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { storedTimezone } from '../db/settings.js';
import { partialVisibility } from '../db/visibility.js';
import type { CheckResult } from './check-result.js';

/**
 * What a Supabase-style database exposes and to whom (README "Security"): the API roles and
 * PUBLIC must hold nothing on pulsebot's objects but what dashboard.readers grants; pulsebot's raw
 * reads must see every row; the dashboard's zone is the database's.
 */
export async function securityChecks(sql: Sql, config: PulsebotConfig): Promise<CheckResult[]> {
  const checks: Array<[string, () => Promise<CheckResult>]> = [
    ['dashboard time zone', () => checkTimezone(sql, config)],
    ['exposure', () => checkExposure(sql, config)],
    ['row visibility', () => checkVisibility(sql)],
    ['runtime role', () => checkRuntimeRole(sql, config)],
  ];
  const out: CheckResult[] = [];
  for (const [name, check] of checks) {
    try {
      out.push(await check());
    } catch (error) {
      out.push({
        name,
        status: 'fail',
        detail: `could not check: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return out;
}

async function checkTimezone(sql: Sql, config: PulsebotConfig): Promise<CheckResult> {
  const name = 'dashboard time zone';
  const stored = await storedTimezone(sql);
  const configured = config.dashboard.timezone;
  if (stored === null)
    return { name, status: 'warn', detail: `cannot read the stored zone; this config says ${configured}` };
  if (stored !== configured) {
    return {
      name,
      status: 'fail',
      detail: `the dashboard is on ${stored}; this config says ${configured}: every other command refuses to run with it`,
      fix: `set dashboard.timezone: ${stored}, or change the dashboard's zone with \`pulsebot migrate\` and this config (it rebuilds the rollups)`,
    };
  }
  return { name, status: 'ok', detail: `${stored} (stored in the database; only \`pulsebot migrate\` changes it)` };
}

interface Grant {
  role: string;
  privilege: string;
  object: string;
}

/**
 * Every privilege PUBLIC, anon or authenticated holds on pulsebot's schema, tables, views and
 * functions, and on the tables it created in public. A dashboard reader keeps SELECT on the views.
 */
async function checkExposure(sql: Sql, config: PulsebotConfig): Promise<CheckResult> {
  const name = 'exposure';
  const grants = await sql<Grant[]>`
    with roles as (
      select 'public' as role, 0::oid as oid
      union all
      select rolname, oid from pg_catalog.pg_roles where rolname in ('anon', 'authenticated')
    ), objects as (
      select c.oid, c.relname, c.relnamespace::regnamespace::text as schema,
             pg_catalog.format('%I.%I', c.relnamespace::regnamespace::text, c.relname) as object,
             case when c.relkind = 'S' then 'sequence' else 'table' end as kind,
             coalesce(c.relacl, pg_catalog.acldefault((case when c.relkind = 'S' then 's' else 'r' end)::"char", c.relowner)) as acl
      from pg_catalog.pg_class c
      where c.relkind in ('r', 'v', 'm', 'S', 'p')
        and (c.relnamespace = to_regnamespace('pulsebot')
             or (c.relnamespace = 'public'::regnamespace
                 and (c.relname in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs')
                      or pg_catalog.obj_description(c.oid, 'pg_class') like '%(created by pulsebot).')))
      union all
      select p.oid, p.proname, p.pronamespace::regnamespace::text,
             pg_catalog.format('%I.%I(%s)', p.pronamespace::regnamespace::text, p.proname,
                               pg_catalog.pg_get_function_identity_arguments(p.oid)), 'function',
             coalesce(p.proacl, pg_catalog.acldefault('f'::"char", p.proowner))
      from pg_catalog.pg_proc p
      where p.pronamespace = to_regnamespace('pulsebot')
         or p.oid in (to_regprocedure('public.refresh_analytics_views()'),
                      to_regprocedure('public.refresh_analytics_step(text, timestamptz)'))
      union all
      select n.oid, n.nspname, n.nspname, 'schema ' || n.nspname, 'schema',
             coalesce(n.nspacl, pg_catalog.acldefault('n'::"char", n.nspowner))
      from pg_catalog.pg_namespace n where n.nspname = 'pulsebot'
    )
    select r.role, x.privilege_type as privilege, o.object
    from objects o
    cross join lateral pg_catalog.aclexplode(o.acl) x
    join roles r on r.oid = x.grantee
    where not (o.schema = 'public' and o.relname in ('mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs')
               and x.privilege_type = 'SELECT' and r.role = any(${config.dashboard.readers}::text[]))
    order by 1, 3, 2`;
  if (grants.length === 0) {
    const readers = config.dashboard.readers;
    return {
      name,
      status: 'ok',
      detail: `PUBLIC, anon and authenticated hold no privilege on pulsebot's objects${readers.length ? ` (views readable by ${readers.join(', ')})` : ''}`,
    };
  }
  const byRole = new Map<string, Set<string>>();
  for (const g of grants) {
    const verb = g.privilege === 'SELECT' ? 'read' : g.privilege === 'EXECUTE' ? 'execute' : g.privilege.toLowerCase();
    byRole.set(g.role, (byRole.get(g.role) ?? new Set()).add(`${verb} ${g.object}`));
  }
  const detail = [...byRole]
    .map(([role, what]) => {
      const list = [...what];
      return `${role === 'public' ? 'PUBLIC' : role} can ${list.slice(0, 3).join(', ')}${list.length > 3 ? ` (+${list.length - 3} more)` : ''}`;
    })
    .join('; ');
  const first = grants[0]!;
  const target = first.object.startsWith('schema ')
    ? `SCHEMA ${first.object.slice(7)}`
    : first.object.includes('(')
      ? `FUNCTION ${first.object}`
      : first.object;
  return {
    name,
    status: 'fail',
    detail,
    fix:
      `run \`pulsebot migrate\` (it revokes them), or REVOKE ALL ON ${target} FROM ${first.role === 'public' ? 'PUBLIC' : first.role}; ` +
      'a role meant to read the dashboard views goes in dashboard.readers',
  };
}

async function checkVisibility(sql: Sql): Promise<CheckResult> {
  const name = 'row visibility';
  const partial = await partialVisibility(sql);
  if (partial.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `${partial.map((p) => p.reason).join('; ')}: reports and alerts refuse to run rather than count part of the rows`,
      fix: partial.map((p) => p.fix).join('; '),
    };
  }
  return {
    name,
    status: 'ok',
    detail: 'pulsebot counts every row of api_usage and user_subscriptions, whatever their row-level security',
  };
}

async function checkRuntimeRole(sql: Sql, config: PulsebotConfig): Promise<CheckResult> {
  const name = 'runtime role';
  const role = config.database.runtime_role;
  if (role === null)
    return { name, status: 'ok', detail: 'none configured (database.runtime_role: null): pulsebot runs as the owner' };
  const [row] = await sql<{ exists: boolean; members: string[] | null; is_member: boolean | null }[]>`
    select exists (select 1 from pg_catalog.pg_roles where rolname = ${role}) as exists,
           (select array_agg(m.rolname order by m.rolname) from pg_catalog.pg_auth_members a
              join pg_catalog.pg_roles m on m.oid = a.member
              where a.roleid = (select oid from pg_catalog.pg_roles where rolname = ${role})) as members,
           case when exists (select 1 from pg_catalog.pg_roles where rolname = ${role})
                then pg_catalog.pg_has_role(current_user, ${role}, 'MEMBER')
                     and not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) end as is_member`;
  if (!row?.exists) {
    return {
      name,
      status: 'warn',
      detail: `${role} does not exist: only the owner can run pulsebot's commands`,
      fix: `run \`pulsebot migrate\` as the owner (it creates ${role}), then GRANT ${role} TO <login role>;`,
    };
  }
  const members = row.members ?? [];
  return {
    name,
    status: 'ok',
    detail: `${role} exists${members.length ? `, granted to ${members.join(', ')}` : ', granted to no login role yet'}${row.is_member ? ' (this connection uses it)' : ''}`,
  };
}
