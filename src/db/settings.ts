import { PulsebotError, pgFields } from '../errors.js';
import type { Sql, TransactionSql } from './connect.js';

/**
 * The dashboard's time zone lives in the database (pulsebot.settings), where SQL callers such as
 * pg_cron read it too, and the database's value is authoritative: only `migrate` (and `demo`)
 * change it, because a change rebuilds every rollup. Any other command whose config names another
 * zone stops before it touches anything, so two configs can never flip the day boundary back and
 * forth.
 */

/** The stored zone (UTC when never set); null when this role cannot read pulsebot's schema or it is not installed. */
export async function storedTimezone(sql: Sql | TransactionSql): Promise<string | null> {
  try {
    const [row] = await sql<{ value: string | null }[]>`
      select coalesce((select value from pulsebot.settings where key = 'dashboard_timezone'), 'UTC') as value`;
    return row?.value ?? null;
  } catch (cause) {
    // Not installed yet (the command fails later, saying so), or a role that may only call
    // refresh_analytics_views(), which cannot change the zone either.
    if (['42P01', '3F000', '42501'].includes(pgFields(cause).code ?? '')) return null;
    throw cause;
  }
}

/** Stops a command whose config disagrees with the database's zone; changes nothing. */
export async function assertDashboardTimezone(sql: Sql | TransactionSql, configured: string): Promise<void> {
  const stored = await storedTimezone(sql);
  if (stored !== null && stored !== configured) throw timezoneMismatch(stored, configured);
}

function timezoneMismatch(stored: string, configured: string): PulsebotError {
  return new PulsebotError('TIMEZONE_MISMATCH', `the dashboard is on ${stored}; this config says ${configured}`, {
    hint:
      `set dashboard.timezone: ${stored} in this config, or change the dashboard's zone on purpose with ` +
      '`pulsebot migrate` and the new zone in its config (it rebuilds the rollups)',
  });
}

/** Sets the zone (`migrate`, `demo`); returns the one it replaces, or null when it was already this one. */
export async function setDashboardTimezone(sql: Sql | TransactionSql, zone: string): Promise<string | null> {
  const [row] = await sql<{ previous: string }[]>`
    with previous as (
      select coalesce((select value from pulsebot.settings where key = 'dashboard_timezone'), 'UTC') as previous
    ), written as (
      insert into pulsebot.settings (key, value) values ('dashboard_timezone', ${zone})
      on conflict (key) do update set value = excluded.value, updated_at = now()
      where pulsebot.settings.value is distinct from excluded.value
      returning 1
    )
    select previous from previous`;
  return row && row.previous !== zone ? row.previous : null;
}
