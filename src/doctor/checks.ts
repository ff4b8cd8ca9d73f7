import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { migrationStatus } from '../db/migrate.js';
import { messageOf } from '../errors.js';
import { alertActivity } from './alert-activity.js';
import type { CheckResult } from './check-result.js';
import { checkDataQuality } from './data-quality-check.js';
import { routeChecks } from './route-checks.js';
import {
  API_USAGE_COLUMNS,
  DASHBOARD_VIEWS,
  USER_SUBSCRIPTIONS_COLUMNS,
  VIEW_COLUMNS,
  addColumnsStatement,
  columnProblems,
  type ColumnContract,
} from './contract.js';
import { formatAge } from '../messages/format.js';

export interface DoctorInput {
  sql: Sql;
  config: PulsebotConfig;
  now: Date;
  /** For the checks that read the environment (alert routes); absent: they skip that part. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Each check runs on its own and turns its own exceptions into a ✗, so one broken object never
 * hides the state of the others (a missing view must not stop doctor from saying the data is stale).
 */
export async function runChecks(input: DoctorInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  // Names double as the row label when a check itself throws.
  const checks: Array<[string, (i: DoctorInput) => Promise<CheckResult | CheckResult[]>]> = [
    ['migrations', checkMigrations],
    ['api_usage', (i) => checkTable(i, 'api_usage', API_USAGE_COLUMNS)],
    ['user_subscriptions', (i) => checkTable(i, 'user_subscriptions', USER_SUBSCRIPTIONS_COLUMNS)],
    ['api_usage index', checkCreatedAtIndex],
    ['views', checkViews],
    ['refresh_analytics_views()', checkRefreshFunction],
    ['change capture', checkCapture],
    ['last refresh', checkLastRefresh],
    ['newest api_usage row', checkNewestRow],
    ['data quality', (i) => checkDataQuality(i.sql, i.now)],
    ['alert routes', (i) => routeChecks(i.config, i.env)],
    ['alert activity', alertActivity],
  ];
  for (const [name, check] of checks) {
    try {
      const r = await check(input);
      results.push(...(Array.isArray(r) ? r : [r]));
    } catch (error) {
      results.push({ name, status: 'fail', detail: `could not check: ${messageOf(error)}` });
    }
  }
  return results;
}

async function checkMigrations({ sql }: DoctorInput): Promise<CheckResult> {
  const s = await migrationStatus(sql);
  if (s.newer.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `database was migrated by a newer pulsebot (has ${Math.max(...s.newer)}, this version knows ${s.known})`,
      fix: 'upgrade pulsebot',
    };
  }
  if (s.legacyChain) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: 'schema of an earlier development build (the numbered chain before the baseline)',
      fix: 'run `pulsebot migrate` (it converts it in place)',
    };
  }
  if (s.changed.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `applied migration file(s) changed since: ${s.changed.join(', ')}`,
      fix: 'restore the file(s); put changes in a new numbered migration',
    };
  }
  if (s.pending.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `${s.pending.length} of ${s.known} not applied (${s.pending.join(', ')})`,
      fix: 'run `pulsebot migrate`',
    };
  }
  if (s.pendingDefinitions.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `${s.pendingDefinitions.length} definition(s) changed and not applied (${s.pendingDefinitions.join(', ')})`,
      fix: 'run `pulsebot migrate`',
    };
  }
  return { name: 'migrations', status: 'ok', detail: `all ${s.known} applied, definitions current` };
}

async function columnsOf(sql: Sql, table: string): Promise<Map<string, string> | null> {
  const rel = `public.${table}`;
  const [exists] = await sql<{ oid: number | null }[]>`select to_regclass(${rel})::oid as oid`;
  if (!exists?.oid) return null;
  const rows = await sql<{ name: string; type: string }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a where a.attrelid = ${exists.oid} and a.attnum > 0 and not a.attisdropped`;
  return new Map(rows.map((r) => [r.name, r.type]));
}

async function checkTable(
  { sql }: DoctorInput,
  table: string,
  contract: readonly ColumnContract[],
): Promise<CheckResult> {
  const columns = await columnsOf(sql, table);
  if (!columns) {
    return {
      name: table,
      status: 'fail',
      detail: `table public.${table} does not exist`,
      fix: 'run `pulsebot migrate` (it creates the table)',
    };
  }
  const problems = columnProblems(contract, columns);
  if (problems.length === 0)
    return { name: table, status: 'ok', detail: `all ${contract.length} columns present with usable types` };
  const missing = problems.filter((p) => p.found === null).map((p) => p.column);
  const wrong = problems.filter((p) => p.found !== null);
  const parts = [
    missing.length ? `missing ${missing.map((c) => `${c.name} (${c.type})`).join(', ')}` : '',
    wrong.length
      ? `unusable type ${wrong.map((p) => `${p.column.name} is ${p.found}, expected ${p.column.type}`).join('; ')}`
      : '',
  ].filter(Boolean);
  const fixes = [
    missing.length ? addColumnsStatement(`public.${table}`, missing) : '',
    wrong.length
      ? `convert ${wrong.map((p) => p.column.name).join(', ')} (ALTER TABLE … ALTER COLUMN … TYPE …) at a quiet moment`
      : '',
  ].filter(Boolean);
  return { name: table, status: 'fail', detail: parts.join('; '), fix: fixes.join('\n') };
}

async function checkCreatedAtIndex({ sql }: DoctorInput): Promise<CheckResult> {
  const [row] = await sql<{ present: boolean | null }[]>`
    select exists (
      select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = to_regclass('public.api_usage') and a.attname = 'created_at'
    ) as present`;
  if (row?.present) return { name: 'api_usage index', status: 'ok', detail: 'an index leads with created_at' };
  return {
    name: 'api_usage index',
    status: 'warn',
    detail: 'no index leads with created_at: every refresh and report scans the whole table',
    fix: 'CREATE INDEX CONCURRENTLY api_usage_created_at_idx ON public.api_usage (created_at);',
  };
}

async function checkViews({ sql }: DoctorInput): Promise<CheckResult[]> {
  const rows = await sql<{ name: string; kind: string; populated: boolean; has_unique: boolean; columns: string[] }[]>`
    select c.relname as name, c.relkind::text as kind, coalesce(m.ispopulated, false) as populated,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisunique and i.indpred is null
                   and i.indexprs is null) as has_unique,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                 and not a.attisdropped order by a.attnum) as columns
    from pg_class c left join pg_matviews m on m.schemaname = 'public' and m.matviewname = c.relname
    where c.relnamespace = 'public'::regnamespace and c.relname in ${sql(DASHBOARD_VIEWS as unknown as string[])}`;
  const found = new Map(rows.map((r) => [r.name, r]));
  return DASHBOARD_VIEWS.map((view): CheckResult => {
    const name = `view ${view}`;
    const r = found.get(view);
    if (!r)
      return {
        name,
        status: 'fail',
        detail: 'missing: the dashboard reading it shows nothing',
        fix: 'run `pulsebot migrate`',
      };
    if (r.kind !== 'm')
      return {
        name,
        status: 'fail',
        detail: 'exists but is not a materialized view',
        fix: 'run `pulsebot migrate` (it replaces it, keeping its grants)',
      };
    const absent = VIEW_COLUMNS[view].filter((c) => !r.columns.includes(c));
    if (absent.length)
      return { name, status: 'fail', detail: `lacks columns ${absent.join(', ')}`, fix: 'run `pulsebot migrate`' };
    if (!r.has_unique)
      return {
        name,
        status: 'fail',
        detail: 'no unique index, so it cannot be refreshed CONCURRENTLY',
        fix: 'run `pulsebot migrate`',
      };
    if (!r.populated)
      return {
        name,
        status: 'fail',
        detail: 'never populated: reading it raises an error',
        fix: 'run `pulsebot refresh`',
      };
    return { name, status: 'ok', detail: 'present, populated, unique index for concurrent refresh' };
  });
}

/**
 * The refresh entry points (pg_cron's and `pulsebot refresh`'s) run as their owner: they must be
 * locked down. Problems of the step function are named as its.
 */
const REFRESH_FUNCTIONS = [
  { signature: 'public.refresh_analytics_views()', prefix: '' },
  { signature: 'public.refresh_analytics_step(text, timestamptz)', prefix: 'refresh_analytics_step(): ' },
];

async function checkRefreshFunction({ sql }: DoctorInput): Promise<CheckResult> {
  const name = 'refresh_analytics_views()';
  const problems: string[] = [];
  for (const { signature, prefix } of REFRESH_FUNCTIONS) {
    const [fn] = await sql<{ definer: boolean; config: string[] | null; open_to: string[] }[]>`
      select p.prosecdef as definer, p.proconfig as config,
             array(select r from unnest(array['public', 'anon', 'authenticated']) r
                   where (r = 'public' and (p.proacl is null or exists (select 1 from aclexplode(p.proacl) x
                                                                     where x.grantee = 0 and x.privilege_type = 'EXECUTE')))
                      or (r <> 'public' and exists (select 1 from pg_roles ro where ro.rolname = r)
                          and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                                      join pg_roles ro on ro.oid = x.grantee
                                      where ro.rolname = r and x.privilege_type = 'EXECUTE'))) as open_to
      from pg_proc p where p.oid = to_regprocedure(${signature})`;
    if (!fn && !prefix)
      return { name, status: 'fail', detail: 'missing: nothing can refresh the views', fix: 'run `pulsebot migrate`' };
    const found = fn
      ? [
          fn.definer ? '' : 'not SECURITY DEFINER',
          (fn.config ?? []).some((c) => c.startsWith('search_path=')) ? '' : 'search_path not pinned',
          fn.open_to.length ? `EXECUTE granted to ${fn.open_to.join(', ')}` : '',
        ]
      : ['missing'];
    problems.push(...found.filter(Boolean).map((p) => prefix + p));
  }
  if (problems.length) {
    return {
      name,
      status: 'fail',
      detail: problems.join('; '),
      fix: 'run `pulsebot migrate`, or REVOKE EXECUTE ON FUNCTION public.refresh_analytics_views() FROM PUBLIC (and refresh_analytics_step)',
    };
  }
  return {
    name,
    status: 'ok',
    detail:
      'refresh_analytics_views() and refresh_analytics_step(): SECURITY DEFINER, search_path pinned, no EXECUTE for PUBLIC',
  };
}

async function checkLastRefresh({ sql, config, now }: DoctorInput): Promise<CheckResult[]> {
  const [exists] = await sql<{ present: boolean }[]>`select to_regclass('pulsebot.refresh_log') is not null as present`;
  if (!exists?.present)
    return [
      {
        name: 'last refresh',
        status: 'fail',
        detail: 'no refresh log (schema not installed)',
        fix: 'run `pulsebot migrate`',
      },
    ];
  const rows = await sql<{ view: string; last_ok: Date | null; last_failed: Date | null; last_error: string | null }[]>`
    select v as view,
           (select max(finished_at) from pulsebot.refresh_log l where l.view_name = v and l.outcome = 'ok') as last_ok,
           f.finished_at as last_failed, f.error as last_error
    from unnest(${['rollups', ...DASHBOARD_VIEWS]}::text[]) as v
    left join lateral (select finished_at, error from pulsebot.refresh_log l
                       where l.view_name = v and l.outcome = 'failed' order by finished_at desc limit 1) f on true`;
  const limitMs = config.freshness.max_refresh_age_minutes * 60_000;
  return rows.map((r): CheckResult => {
    const name = `refresh ${r.view}`;
    if (r.last_failed && (!r.last_ok || r.last_failed > r.last_ok)) {
      return {
        name,
        status: 'fail',
        detail: `last refresh failed ${formatAge((now.getTime() - r.last_failed.getTime()) / 60_000)} ago: ${r.last_error ?? 'unknown error'}`,
        fix: 'fix the error above, then run `pulsebot refresh`',
      };
    }
    if (!r.last_ok)
      return {
        name,
        status: 'fail',
        detail: 'never refreshed by pulsebot',
        fix: 'run `pulsebot refresh` (and keep `pulsebot run` scheduling it)',
      };
    const age = now.getTime() - r.last_ok.getTime();
    if (age > limitMs) {
      return {
        name,
        status: 'fail',
        detail: `last successful refresh ${formatAge(age / 60_000)} ago (limit ${formatAge(config.freshness.max_refresh_age_minutes)})`,
        fix: 'run `pulsebot refresh`; is `pulsebot run` (or pg_cron) running?',
      };
    }
    return { name, status: 'ok', detail: `last successful refresh ${formatAge(age / 60_000)} ago` };
  });
}

const CAPTURE_TRIGGERS = [
  'pulsebot_capture_insert',
  'pulsebot_capture_update',
  'pulsebot_capture_delete',
  'pulsebot_capture_truncate',
];

/** Without its triggers the rollups silently stop changing: the dashboard would freeze. */
async function checkCapture({ sql }: DoctorInput): Promise<CheckResult> {
  const name = 'change capture';
  const rows = await sql<{ name: string; enabled: string }[]>`
    select tgname as name, tgenabled::text as enabled from pg_trigger
    where tgrelid = to_regclass('public.api_usage') and tgname in ${sql(CAPTURE_TRIGGERS)}`;
  const found = new Map(rows.map((r) => [r.name, r.enabled]));
  const missing = CAPTURE_TRIGGERS.filter((t) => !found.has(t));
  const disabled = CAPTURE_TRIGGERS.filter((t) => found.get(t) === 'D');
  if (missing.length)
    return {
      name,
      status: 'fail',
      detail: `trigger${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing on api_usage: new rows will not reach the views`,
      fix: 'run `pulsebot migrate`',
    };
  if (disabled.length) {
    return {
      name,
      status: 'fail',
      detail: `trigger${disabled.length > 1 ? 's' : ''} ${disabled.join(', ')} disabled: new rows will not reach the views`,
      fix: `ALTER TABLE public.api_usage ENABLE TRIGGER ${disabled[0]}; (each), then UPDATE pulsebot.rollup_state SET needs_rebuild = true; and \`pulsebot refresh\``,
    };
  }
  const [state] = await sql<{ needs_rebuild: boolean; waiting: number }[]>`
    select s.needs_rebuild,
           (select count(*) from (select 1 from pulsebot.usage_changes limit 1000001) c)::int
           + (select count(*) from (select 1 from pulsebot.usage_changes_taken limit 1000001) c)::int as waiting
    from pulsebot.rollup_state s`;
  if (state?.needs_rebuild)
    return {
      name,
      status: 'fail',
      detail: 'the rollups must be rebuilt from api_usage',
      fix: 'run `pulsebot refresh`',
    };
  const waiting = state?.waiting ?? 0;
  return {
    name,
    status: 'ok',
    detail: `triggers on api_usage enabled; ${waiting > 1_000_000 ? 'over a million' : waiting} change${waiting === 1 ? '' : 's'} waiting for the next refresh`,
  };
}

async function checkNewestRow({ sql, config, now }: DoctorInput): Promise<CheckResult> {
  const name = 'newest api_usage row';
  const [table] = await sql<{ present: boolean }[]>`select to_regclass('public.api_usage') is not null as present`;
  if (!table?.present)
    return { name, status: 'fail', detail: 'table public.api_usage does not exist', fix: 'run `pulsebot migrate`' };
  // Through the owner's reader, which sees every row whatever row-level security the table has.
  const [row] = await sql<{ newest: Date | null }[]>`select pulsebot.usage_newest(${now}) as newest`;
  if (!row?.newest) {
    return {
      name,
      status: 'fail',
      detail: 'api_usage is empty: the dashboard has nothing to show',
      fix: 'check that your application writes to public.api_usage (or try `pulsebot seed-demo`)',
    };
  }
  const age = now.getTime() - row.newest.getTime();
  if (age > config.freshness.max_data_age_minutes * 60_000) {
    return {
      name,
      status: 'fail',
      detail: `newest row is ${formatAge(age / 60_000)} old (limit ${formatAge(config.freshness.max_data_age_minutes)}): data has stopped arriving`,
      fix: 'check the application that logs API calls into api_usage',
    };
  }
  return { name, status: 'ok', detail: `newest row ${formatAge(age / 60_000)} old` };
}
