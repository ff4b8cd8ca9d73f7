import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql } from './connect.js';
import { assertDashboardTimezone } from './settings.js';

export interface ViewRefresh {
  view: string;
  outcome: 'ok' | 'failed';
  rows: number | null;
  startedAt: Date;
  finishedAt: Date;
  error: string | null;
}

export interface RefreshOptions {
  /** The config's zone: a refresh refuses to run when the database is on another one (settings.ts). */
  dashboardTimezone: string;
  statementTimeoutSeconds: number;
  /** Every step as it finishes, the unlogged ones (detach, parts) too: for benchmarks. */
  onStep?: (step: ViewRefresh) => void;
  /** Where the upkeep after a refresh reports what failed without failing it; stderr by default. */
  log?: UpkeepLog;
}

/** The slice of the project's logger (pino's `warn(fields, message)`) the upkeep needs. */
export interface UpkeepLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

const STDERR_LOG: UpkeepLog = { warn: (_fields, message) => process.stderr.write(`pulsebot: warning: ${message}\n`) };

const VIEWS = ['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] as const;

/**
 * Refreshes the dashboard, then does the upkeep that keeps the next refresh fast (vacuum,
 * compaction). Every refresh lands in pulsebot.refresh_log, as when pg_cron calls
 * refresh_analytics_views().
 */
export async function refreshViews(sql: Sql, options: RefreshOptions): Promise<ViewRefresh[]> {
  const { results, viaViewsFunction } = await refreshSteps(sql, options);
  // A role that may only call refresh_analytics_views() has had all it may do.
  if (viaViewsFunction) return results;
  const folded = results.find((r) => r.view === 'rollups' && r.outcome === 'ok')?.rows ?? 0;
  // A large fold through the DELETE path leaves the change log full of dead rows that every later
  // fold would scan; the embedded database has no autovacuum, and on a server this is cheap and
  // blocks nobody. Only the owner may vacuum: the runtime role leaves it to autovacuum. Best
  // effort: a vacuum that fails costs speed, never data.
  if (folded >= VACUUM_AFTER_ROWS && (await ownsPulsebotTables(sql))) {
    await sql`vacuum pulsebot.usage_changes`.catch((cause: unknown) =>
      upkeepFailed(
        options.log,
        'vacuum',
        'vacuum of pulsebot.usage_changes failed; later folds scan its dead rows until one succeeds',
        cause,
      ),
    );
  }
  // The views are fresh and committed; merging pending deltas into the rollups can take its time.
  if (results.every((r) => r.outcome === 'ok')) await compactIfDue(sql, options);
  return results;
}

/**
 * Folds the change log and refreshes the three views, in steps of refresh_analytics_step(), each
 * in a transaction of its own, so that independent steps run at once on the pool's connections.
 * When the log can be detached (a table swap):
 *
 *   detach ─┬─ measures ─┬─ mv_provider_performance (reads no user sets)
 *           └─ users ────┴─ mv_daily_metrics, mv_model_costs, rollups (rows that arrived since the detach)
 *
 * so the views show every row committed before the detach, and later rows at the next refresh.
 * The last steps wait for both parts, not for mv_provider_performance: whichever part ends first
 * would otherwise leave a core idle while that view refreshes alone.
 * When it cannot (nothing to detach, a detached batch or a fold still in progress, a writer
 * holding the log past the lock timeout) or a part failed: rollups (which folds whatever a part
 * left), then the views that are not fresh yet, side by side. A role that may only call
 * refresh_analytics_views() is refreshed through it.
 */
export async function refreshNow(sql: Sql, options: RefreshOptions): Promise<ViewRefresh[]> {
  return (await refreshSteps(sql, options)).results;
}

async function refreshSteps(
  sql: Sql,
  options: RefreshOptions,
): Promise<{ results: ViewRefresh[]; viaViewsFunction: boolean }> {
  try {
    await assertDashboardTimezone(sql, options.dashboardTimezone);
    const step = (name: string, since?: Date) => runStep(sql, options, name, since);
    const detach = await step('detach');
    const fresh = new Map<string, ViewRefresh>();
    let early: Promise<void> = Promise.resolve();
    let partsOk = false;
    if (detach.outcome === 'ok' && detach.rows === 1) {
      const measuresPart = step('measures');
      early = measuresPart.then(async (measures) => {
        if (measures.outcome === 'ok') fresh.set('mv_provider_performance', await step('mv_provider_performance'));
      });
      // Not swallowed: awaited below, after the steps beside it, which throws its failure (or the
      // failure of a step beside it, if that came first). Until then it must not go unhandled.
      early.catch(() => {});
      const [measures, users] = await Promise.all([measuresPart, step('users')]);
      partsOk = measures.outcome === 'ok' && users.outcome === 'ok';
    }
    let rollups: ViewRefresh;
    if (partsOk) {
      const rest = VIEWS.filter((view) => view !== 'mv_provider_performance');
      const [r, ...views] = await Promise.all([step('rollups', detach.startedAt), ...rest.map((view) => step(view))]);
      await early;
      rollups = r!;
      for (const v of views) fresh.set(v.view, v);
    } else {
      await early;
      rollups = await step('rollups', detach.startedAt);
      const stale = VIEWS.filter((view) => !fresh.has(view));
      for (const v of await Promise.all(stale.map((view) => step(view)))) fresh.set(v.view, v);
    }
    return { results: [rollups, ...VIEWS.map((view) => fresh.get(view)!)], viaViewsFunction: false };
  } catch (cause) {
    if (cause instanceof PulsebotError) throw cause;
    const code = pgFields(cause).code;
    // A role with EXECUTE on refresh_analytics_views() only: the one-transaction way.
    if (code === '42501' || code === '42883') {
      return { results: await refreshInTransaction(sql, options), viaViewsFunction: true };
    }
    throw refreshFailed(cause);
  }
}

/** Whether this role may vacuum pulsebot's tables (their owner's, or a superuser). */
async function ownsPulsebotTables(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ owns: boolean }[]>`
    select pg_catalog.pg_has_role(c.relowner, 'USAGE') or (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as owns
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'pulsebot' and c.relname = 'usage_changes'`;
  return row?.owns === true;
}

async function runStep(sql: Sql, options: RefreshOptions, name: string, since: Date | undefined): Promise<ViewRefresh> {
  const [row] = await sql.begin(async (tx) => {
    // Without waiting for the WAL flush at commit (measured: ~20 ms a refresh at 10M rows). Safe:
    // every step is one transaction that leaves the rollups consistent, and a crash loses at most
    // the last steps whole (WAL is replayed in order), which the next refresh does again.
    await tx`select set_config('statement_timeout', ${String(options.statementTimeoutSeconds * 1000)}, true), set_config('synchronous_commit', 'off', true)`;
    return tx<StepRow[]>`
      select view_name, outcome, row_count, started_at, finished_at, error
      from public.refresh_analytics_step(${name}, ${since ?? null}::timestamptz)`;
  });
  const result = toViewRefresh(row!);
  options.onStep?.(result);
  return result;
}

type StepRow = {
  view_name: string;
  outcome: 'ok' | 'failed';
  row_count: number | null;
  started_at: Date;
  finished_at: Date;
  error: string | null;
};

const toViewRefresh = (r: StepRow): ViewRefresh => ({
  view: r.view_name,
  outcome: r.outcome,
  rows: r.row_count,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  error: r.error,
});

const VACUUM_AFTER_ROWS = 10_000;

/**
 * Merges the pending rollup deltas into the rollups once they reach the configured size
 * (pulsebot.rollup_state.compact_after_rows), in a transaction of its own; short of that, only
 * the pending daily histograms, which every view refresh reads. Returns the pending rows merged.
 * Best effort like the vacuum, and logged: a failed compaction leaves the deltas pending (readers
 * include them), and the fold compacts by itself at four times the size.
 */
export async function compactIfDue(
  sql: Sql,
  options: Pick<RefreshOptions, 'statementTimeoutSeconds' | 'log'>,
): Promise<number> {
  // Through refresh_analytics_step(), which compacts as the owner: the runtime role may not write the rollups.
  const result = await sql
    .begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(options.statementTimeoutSeconds * 1000)}, true)`;
      const [row] = await tx<StepRow[]>`
        select view_name, outcome, row_count, started_at, finished_at, error from public.refresh_analytics_step('compact')`;
      return toViewRefresh(row!);
    })
    .catch((cause: unknown) => {
      upkeepFailed(
        options.log,
        'compaction',
        'compaction of the pending rollups could not start; they stay pending and are still read',
        cause,
      );
      return null;
    });
  if (!result) return 0;
  const full = result.view === 'compact';
  if (result.outcome === 'failed') {
    upkeepFailed(
      options.log,
      'compaction',
      `${full ? 'compaction of the pending rollups' : 'merging the pending daily histograms'} failed; they stay pending and are still read`,
      new Error(result.error ?? 'unknown error'),
    );
    return 0;
  }
  const merged = result.rows ?? 0;
  if (merged > 0 && (await ownsPulsebotTables(sql))) {
    await (full
      ? sql`vacuum pulsebot.pending_15m, pulsebot.model_user_days_pending_batches, pulsebot.latency_daily_pending, pulsebot.latency_daily_total_pending`
      : sql`vacuum pulsebot.latency_daily_pending, pulsebot.latency_daily_total_pending`
    ).catch((cause: unknown) =>
      upkeepFailed(options.log, 'vacuum', 'vacuum of the pending tables after compaction failed', cause),
    );
  }
  return merged;
}

/** One warning per failed upkeep step, with the server's error code: the refresh itself succeeded. */
function upkeepFailed(log: UpkeepLog | undefined, step: 'vacuum' | 'compaction', what: string, cause: unknown): void {
  const { code } = pgFields(cause);
  (log ?? STDERR_LOG).warn(
    { event: `refresh.${step}_failed`, ...(code ? { code } : {}), error: messageOf(cause) },
    `${what}: ${messageOf(cause)}${code ? ` (${code})` : ''}`,
  );
}

async function refreshInTransaction(sql: Sql, options: RefreshOptions): Promise<ViewRefresh[]> {
  try {
    return await sql.begin(async (tx) => {
      // The zone was checked before the steps were tried (a role that cannot read it cannot change it either).
      await tx`select set_config('statement_timeout', ${String(options.statementTimeoutSeconds * 1000)}, true)`;
      const rows = await tx<StepRow[]>`
        select view_name, outcome, row_count, started_at, finished_at, error from public.refresh_analytics_views()`;
      return rows.map(toViewRefresh);
    });
  } catch (cause) {
    throw refreshFailed(cause);
  }
}

function refreshFailed(cause: unknown): PulsebotError {
  const f = pgFields(cause);
  const missing = f.code === '42883' || f.code === '42P01' || f.code === '3F000';
  return new PulsebotError('REFRESH_FAILED', `refresh failed: ${messageOf(cause)}`, {
    cause,
    hint: missing ? 'the schema is not installed here: run `pulsebot migrate`' : f.hint,
  });
}
