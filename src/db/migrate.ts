import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql, TransactionSql } from './connect.js';
import { type AccessOptions, NO_ACCESS, type RuntimeRoleOutcome, applyAccess, ensureRuntimeRole } from './access.js';
import { applyDefinitions, pendingDefinitions } from './definitions.js';
import { convertLegacyChain, legacyChainState } from './legacy-chain.js';
import { type Definition, type Migration, SQL_DIR, loadDefinitions, loadMigrations } from './migration-files.js';

export { loadDefinitions, loadMigrations, type Definition, type Migration } from './migration-files.js';

/** Arbitrary but fixed: every pulsebot, of every version, serialises its migrations on it. */
const MIGRATION_LOCK_KEY = 0x70756c73; // "puls"
/**
 * The fold's lock (sql/functions/fold_changes.sql). Definitions and grants rewrite catalog rows a
 * rebuilding fold rewrites too (TRUNCATE, REVOKE on usage_15m): taken first, it keeps the two
 * from deadlocking when a refresh runs beside a migrate.
 */
const FOLD_LOCK_KEY = 1886221428;
/**
 * The dashboard views' lock (sql/functions/refresh_analytics_step.sql): their refreshes hold it
 * shared. A GRANT on a view beside its REFRESH … CONCURRENTLY fails with "tuple concurrently
 * updated", and LOCK TABLE does not take materialized views.
 */
const VIEWS_LOCK_KEY = 0x70756c76; // "pulv"

export interface MigrationReport {
  applied: Migration[];
  alreadyApplied: number;
  /** Definitions (functions, views, triggers) created or replaced because their file changed. */
  definitions: Definition[];
  /** The database had been migrated by the numbered chain of earlier development builds. */
  convertedLegacyChain: boolean;
  runtimeRole: RuntimeRoleOutcome;
}

export interface MigrationSource {
  migrations: Migration[];
  definitions: Definition[];
}

export function loadSchemaSource(sqlDir: string = SQL_DIR): MigrationSource {
  return { migrations: loadMigrations(sqlDir), definitions: loadDefinitions(sqlDir) };
}

async function ensureLedgers(tx: TransactionSql): Promise<void> {
  await tx`create schema if not exists pulsebot`;
  await tx`
    create table if not exists pulsebot.migrations (
      id         integer primary key,
      name       text not null,
      checksum   text not null,
      applied_at timestamptz not null default now()
    )`;
  await tx`
    create table if not exists pulsebot.definitions (
      path       text primary key,
      checksum   text not null,
      applied_at timestamptz not null default now()
    )`;
}

/**
 * Applies pending numbered migrations, each in its own transaction under a transaction-scoped
 * advisory lock with its ledger row, then every definition whose file changed, all in one
 * transaction. A concurrent migrator waits on the lock and then finds the work done. A database
 * migrated by a newer pulsebot, or whose applied migration files have changed, is refused.
 */
export async function migrate(
  sql: Sql,
  source: MigrationSource = loadSchemaSource(),
  access: AccessOptions = NO_ACCESS,
): Promise<MigrationReport> {
  const { migrations, definitions } = source;
  const convertedLegacyChain = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await ensureLedgers(tx);
    const legacy = legacyChainState(await tx<{ id: number; name: string }[]>`select id, name from pulsebot.migrations`);
    if (legacy === 'none') return false;
    await convertLegacyChain(tx, legacy, migrations[0]!);
    return true;
  });

  const applied: Migration[] = [];
  for (const migration of migrations) {
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const rows = await tx<
        { id: number; checksum: string }[]
      >`select id, checksum from pulsebot.migrations order by id`;
      refuseNewerOrChanged(rows, migrations);
      if (rows.some((r) => r.id === migration.id)) return false;
      await tx`insert into pulsebot.migrations (id, name, checksum) values (${migration.id}, ${migration.name}, ${migration.checksum})`;
      try {
        await tx.unsafe(migration.sql);
      } catch (cause) {
        throw failure(`migration ${migration.file}`, cause);
      }
      return true;
    });
    if (done) applied.push(migration);
  }

  const runtimeRole = await ensureRuntimeRole(sql, access.runtimeRole);
  const changed = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`select pg_advisory_xact_lock(${FOLD_LOCK_KEY})`;
    await tx`select pg_advisory_xact_lock(${VIEWS_LOCK_KEY})`;
    const changed = await applyDefinitions(tx, definitions, (path, cause) => failure(`sql/${path}`, cause));
    await applyAccess(tx, runtimeRole.state === 'cannot-create' ? null : access.runtimeRole, access.readers);
    return changed;
  });
  return {
    applied,
    alreadyApplied: migrations.length - applied.length,
    definitions: changed,
    convertedLegacyChain,
    runtimeRole,
  };
}

function failure(what: string, cause: unknown): PulsebotError {
  const f = pgFields(cause);
  return new PulsebotError('MIGRATION_FAILED', `${what} failed: ${messageOf(cause)}`, {
    cause,
    hint: f.hint ?? (f.detail ? `detail: ${f.detail}` : undefined),
  });
}

function refuseNewerOrChanged(ledger: { id: number; checksum: string }[], migrations: Migration[]): void {
  const newest = Math.max(0, ...ledger.map((r) => r.id));
  if (newest > migrations.length) {
    throw new PulsebotError(
      'DB_NEWER_THAN_CODE',
      `the database was migrated by a newer pulsebot (migration ${newest}; this version knows ${migrations.length})`,
      {
        hint: 'upgrade pulsebot; running older code against a newer schema could damage it',
      },
    );
  }
  for (const row of ledger) {
    const file = migrations[row.id - 1];
    if (file && file.checksum !== row.checksum) {
      throw new PulsebotError(
        'MIGRATION_INVALID',
        `sql/migrations/${file.file} has changed since it was applied to this database`,
        {
          hint: 'an applied migration is immutable: restore the file and put the change in a new numbered migration',
        },
      );
    }
  }
}

export interface MigrationStatus {
  known: number;
  applied: number[];
  pending: number[];
  newer: number[];
  /** Applied migrations whose file differs from the one applied. */
  changed: string[];
  /** Definitions whose file differs from the one applied (or that were never applied). */
  pendingDefinitions: string[];
  /** Migrated by the numbered chain of earlier development builds: `migrate` converts it. */
  legacyChain: boolean;
}

export async function migrationStatus(
  sql: Sql,
  source: MigrationSource = loadSchemaSource(),
): Promise<MigrationStatus> {
  const { migrations, definitions } = source;
  const [exists] = await sql<{ present: boolean }[]>`select to_regclass('pulsebot.migrations') is not null as present`;
  const ledger = exists?.present
    ? await sql<
        { id: number; name: string; checksum: string }[]
      >`select id, name, checksum from pulsebot.migrations order by id`
    : [];
  const legacyChain = legacyChainState(ledger) !== 'none';
  if (legacyChain) {
    return {
      known: migrations.length,
      applied: [],
      pending: migrations.map((m) => m.id),
      newer: [],
      changed: [],
      pendingDefinitions: definitions.map((d) => d.path),
      legacyChain,
    };
  }
  const ids = new Set(ledger.map((r) => r.id));
  return {
    known: migrations.length,
    applied: ledger.map((r) => r.id),
    pending: migrations.filter((m) => !ids.has(m.id)).map((m) => m.id),
    newer: ledger.map((r) => r.id).filter((id) => id > migrations.length),
    changed: ledger
      .filter((r) => migrations[r.id - 1] && migrations[r.id - 1]!.checksum !== r.checksum)
      .map((r) => migrations[r.id - 1]!.file),
    pendingDefinitions: await pendingDefinitions(sql, definitions),
    legacyChain,
  };
}
