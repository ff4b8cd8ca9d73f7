import { PulsebotError, pgFields } from '../errors.js';
import type { Sql } from './connect.js';

/** A source table pulsebot may see only part of (sql/functions/usage_visibility.sql). */
export interface PartialTable {
  table: string;
  reason: string;
  fix: string;
}

/**
 * The source tables whose rows pulsebot's raw reads cannot all see under row-level security.
 * Empty when everything is visible, and before pulsebot is installed (nothing to judge yet).
 */
export async function partialVisibility(sql: Sql): Promise<PartialTable[]> {
  try {
    const rows = await sql<{ table_name: string; reader: string; reason: string | null }[]>`
      select table_name, reader, reason from pulsebot.usage_visibility() where not complete`;
    return rows.map((r) => ({
      table: r.table_name,
      reason: r.reason ?? `${r.table_name} is only partly visible to ${r.reader}`,
      fix: r.reason?.includes('FORCE')
        ? `ALTER TABLE public.${r.table_name} NO FORCE ROW LEVEL SECURITY; (pulsebot reads it as its owner)`
        : `run \`pulsebot migrate\` as the owner of public.${r.table_name}, or give ${r.reader} BYPASSRLS`,
    }));
  } catch (cause) {
    if (['42P01', '3F000', '42883'].includes(pgFields(cause).code ?? '')) return [];
    throw cause;
  }
}

/** Refuses to report from partial data: a number that silently counts fewer rows is worse than none. */
export async function assertCompleteVisibility(sql: Sql): Promise<void> {
  const partial = await partialVisibility(sql);
  if (partial.length === 0) return;
  throw new PulsebotError(
    'DATA_PARTIAL',
    `pulsebot cannot read every row of ${partial.map((p) => p.table).join(' and ')}: ${partial[0]!.reason}`,
    { hint: `nothing was reported; ${partial.map((p) => p.fix).join('; ')}` },
  );
}
