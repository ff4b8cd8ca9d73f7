import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql, TransactionSql } from './connect.js';

/** Who may do what (README "Security"): from the config's database.runtime_role and dashboard.readers. */
export interface AccessOptions {
  /** The NOLOGIN role every command but `migrate` runs as (through a login role it is granted to); null: none. */
  runtimeRole: string | null;
  /** Roles that may SELECT the three dashboard views. */
  readers: readonly string[];
}

export const NO_ACCESS: AccessOptions = { runtimeRole: null, readers: [] };

export type RuntimeRoleOutcome =
  | { state: 'none' }
  | { state: 'created' | 'kept'; role: string }
  /** The owner may not create roles: the statement a role administrator runs, then `migrate` again. */
  | { state: 'cannot-create'; role: string; sql: string };

/**
 * Creates the runtime role when it is missing and the owner may create roles (outside any
 * transaction: a role is cluster-wide, and a concurrent migrator of another database may create
 * it first).
 */
export async function ensureRuntimeRole(sql: Sql, role: string | null): Promise<RuntimeRoleOutcome> {
  if (role === null) return { state: 'none' };
  const [row] = await sql<{ exists: boolean; can_create: boolean }[]>`
    select exists (select 1 from pg_catalog.pg_roles where rolname = ${role}) as exists,
           (select rolcreaterole or rolsuper from pg_catalog.pg_roles where rolname = current_user) as can_create`;
  if (row?.exists) return { state: 'kept', role };
  if (!row?.can_create) return { state: 'cannot-create', role, sql: `CREATE ROLE ${role} NOLOGIN;` };
  try {
    await sql`create role ${sql(role)} nologin`;
  } catch (cause) {
    // Created meanwhile by a migrator of another database of the cluster (42710, or 23505 when
    // both inserted into pg_authid at once).
    if (!['42710', '23505'].includes(pgFields(cause).code ?? ''))
      throw accessFailed(`creating the role ${role}`, cause);
    return { state: 'kept', role };
  }
  return { state: 'created', role };
}

/**
 * Revokes what PUBLIC and the API roles hold on pulsebot's objects, enables RLS on the tables
 * pulsebot created in public, grants the readers the views and the runtime role its rights
 * (sql/functions/apply_access.sql). In the caller's transaction, so a view created again there is
 * never visible with the grants default privileges gave it.
 */
export async function applyAccess(
  tx: TransactionSql,
  runtimeRole: string | null,
  readers: readonly string[],
): Promise<void> {
  try {
    await tx`select pulsebot.apply_access(${runtimeRole}, ${[...readers]}::text[])`;
  } catch (cause) {
    throw accessFailed('granting access', cause);
  }
}

function accessFailed(what: string, cause: unknown): PulsebotError {
  const f = pgFields(cause);
  return new PulsebotError(
    f.code === '42704' ? 'CONFIG_INVALID' : 'MIGRATION_FAILED',
    `${what} failed: ${messageOf(cause)}`,
    {
      cause,
      ...(f.hint ? { hint: f.hint } : {}),
    },
  );
}
