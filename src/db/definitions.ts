import type { PulsebotError } from '../errors.js';
import type { Sql, TransactionSql } from './connect.js';
import type { Definition } from './migration-files.js';

/**
 * Creates or replaces every definition whose file differs from the one recorded, in the declared
 * order, inside the caller's transaction (all or nothing). Names in the files are parsed with a
 * pinned search_path, so what a view or a BEGIN ATOMIC body refers to never depends on the role
 * that runs `migrate`.
 *
 * A dashboard view cannot be replaced in place (it is materialized): it is dropped and created
 * again, and the privileges it carried are granted again, so replacing it cannot break the
 * dashboard. It is never dropped with CASCADE: if something else is built on it, this stops and
 * says so.
 */
export async function applyDefinitions(
  tx: TransactionSql,
  definitions: Definition[],
  failure: (path: string, cause: unknown) => PulsebotError,
): Promise<Definition[]> {
  const changed = await changedDefinitions(tx as unknown as Sql, definitions);
  if (changed.length === 0) return [];
  await tx`set local search_path = pg_catalog, pg_temp`;
  for (const d of changed) {
    try {
      if (d.kind === 'materialized view') {
        const [saved] = await tx<{ acl: string | null }[]>`select pulsebot.drop_dashboard_view(${d.name})::text as acl`;
        await tx.unsafe(d.sql);
        await tx`select pulsebot.restore_grants(${d.name}, ${saved?.acl ?? null}::aclitem[])`;
      } else {
        await tx.unsafe(d.sql);
      }
    } catch (cause) {
      throw failure(d.path, cause);
    }
    await tx`
      insert into pulsebot.definitions (path, checksum) values (${d.path}, ${d.checksum})
      on conflict (path) do update set checksum = excluded.checksum, applied_at = now()`;
  }
  // Definitions no longer in the repository: their objects were dropped by a numbered migration.
  const current = definitions.map((d) => d.path);
  await tx`delete from pulsebot.definitions where path <> all(${current})`;
  return changed;
}

export async function pendingDefinitions(sql: Sql, definitions: Definition[]): Promise<string[]> {
  const [exists] = await sql<{ present: boolean }[]>`select to_regclass('pulsebot.definitions') is not null as present`;
  if (!exists?.present) return definitions.map((d) => d.path);
  return (await changedDefinitions(sql, definitions)).map((d) => d.path);
}

/** The definitions whose file differs from the one recorded in the ledger, or that it lacks. */
async function changedDefinitions(sql: Sql, definitions: Definition[]): Promise<Definition[]> {
  const rows = await sql<{ path: string; checksum: string }[]>`select path, checksum from pulsebot.definitions`;
  const recorded = new Map(rows.map((r) => [r.path, r.checksum]));
  return definitions.filter((d) => recorded.get(d.path) !== d.checksum);
}
