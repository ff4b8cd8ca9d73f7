import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql } from './connect.js';
import { syncSettings } from './settings.js';

export interface ViewRefresh {
  view: string;
  outcome: 'ok' | 'failed';
  rows: number | null;
  startedAt: Date;
  finishedAt: Date;
  error: string | null;
}

export interface RefreshOptions {
  dashboardTimezone: string;
  statementTimeoutSeconds: number;
}

/**
 * Refreshes the dashboard views through refresh_analytics_views(), the same function pg_cron
 * users call, so every refresh lands in pulsebot.refresh_log whoever started it.
 */
export async function refreshViews(sql: Sql, options: RefreshOptions): Promise<ViewRefresh[]> {
  const results = await refreshInTransaction(sql, options);
  const folded = results.find((r) => r.view === 'rollups' && r.outcome === 'ok')?.rows ?? 0;
  // A large fold leaves the change log full of dead rows that every later fold would scan; the
  // embedded database has no autovacuum, and on a server this is cheap and blocks nobody.
  // Best effort: a vacuum that fails (e.g. for lack of ownership) costs speed, never data.
  if (folded >= VACUUM_AFTER_ROWS) await sql`vacuum pulsebot.usage_changes`.catch(() => {});
  return results;
}

const VACUUM_AFTER_ROWS = 10_000;

async function refreshInTransaction(sql: Sql, options: RefreshOptions): Promise<ViewRefresh[]> {
  try {
    return await sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(options.statementTimeoutSeconds * 1000)}, true)`;
      await syncSettings(tx, { dashboardTimezone: options.dashboardTimezone });
      const rows = await tx<{ view_name: string; outcome: 'ok' | 'failed'; row_count: number | null; started_at: Date; finished_at: Date; error: string | null }[]>`
        select view_name, outcome, row_count, started_at, finished_at, error from public.refresh_analytics_views()`;
      return rows.map((r) => ({
        view: r.view_name,
        outcome: r.outcome,
        rows: r.row_count,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        error: r.error,
      }));
    });
  } catch (cause) {
    const f = pgFields(cause);
    const missing = f.code === '42883' || f.code === '42P01' || f.code === '3F000';
    throw new PulsebotError('REFRESH_FAILED', `refresh failed: ${messageOf(cause)}`, {
      cause,
      hint: missing ? 'the schema is not installed here: run `pulsebot migrate`' : f.hint,
    });
  }
}
