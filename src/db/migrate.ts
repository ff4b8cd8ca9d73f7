import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql } from './connect.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations/', import.meta.url));

/** Arbitrary but fixed: every pulsebot, of every version, serialises its migrations on it. */
const MIGRATION_LOCK_KEY = 0x70756c73; // "puls"

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: Migration[];
  alreadyApplied: number;
  /** Applied migrations whose file has changed since (worth a warning, not a refusal). */
  changed: Migration[];
}

const FILE_PATTERN = /^(\d{6})_([a-z0-9_]+)\.sql$/;
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|start\s+transaction)\s*;/im;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) {
        throw new PulsebotError('MIGRATION_INVALID', `migration file ${file} is not named NNNNNN_name.sql`);
      }
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      // Each file runs inside the runner's transaction; its own BEGIN/COMMIT would end that early.
      if (TRANSACTION_CONTROL.test(sql)) {
        throw new PulsebotError('MIGRATION_INVALID', `migration ${file} contains transaction control (BEGIN/COMMIT); the runner wraps each file in a transaction`);
      }
      return { id: Number(match[1]), name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) {
      throw new PulsebotError('MIGRATION_INVALID', `migrations must be numbered 1, 2, 3… without gaps; found ${m.id} at position ${i + 1}`);
    }
  });
  return migrations;
}

/**
 * Applies pending migrations, each in its own transaction under a transaction-scoped advisory
 * lock, the ledger row written in the same transaction. A concurrent migrator waits on the lock
 * and then finds the work done. A database migrated by a newer pulsebot is refused, because
 * this code does not know what the newer migrations changed.
 */
export async function migrate(sql: Sql, migrations: Migration[] = loadMigrations()): Promise<MigrationReport> {
  const known = migrations.length;
  const ledger = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`create schema if not exists pulsebot`;
    await tx`
      create table if not exists pulsebot.migrations (
        id         integer primary key,
        name       text not null,
        checksum   text not null,
        applied_at timestamptz not null default now()
      )`;
    return tx<{ id: number; checksum: string }[]>`select id, checksum from pulsebot.migrations order by id`;
  });
  refuseNewer(ledger.map((r) => r.id), known);

  const applied: Migration[] = [];
  for (const migration of migrations) {
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const rows = await tx<{ id: number }[]>`select id from pulsebot.migrations`;
      refuseNewer(rows.map((r) => r.id), known);
      if (rows.some((r) => r.id === migration.id)) return false;
      await tx`insert into pulsebot.migrations (id, name, checksum) values (${migration.id}, ${migration.name}, ${migration.checksum})`;
      try {
        await tx.unsafe(migration.sql);
      } catch (cause) {
        const f = pgFields(cause);
        throw new PulsebotError('MIGRATION_FAILED', `migration ${String(migration.id).padStart(6, '0')}_${migration.name} failed: ${messageOf(cause)}`, {
          cause,
          hint: f.hint ?? (f.detail ? `detail: ${f.detail}` : undefined),
        });
      }
      return true;
    });
    if (done) applied.push(migration);
  }

  const byId = new Map(ledger.map((r) => [r.id, r.checksum]));
  const changed = migrations.filter((m) => byId.has(m.id) && byId.get(m.id) !== m.checksum);
  return { applied, alreadyApplied: migrations.length - applied.length, changed };
}

function refuseNewer(appliedIds: number[], known: number): void {
  const newest = Math.max(0, ...appliedIds);
  if (newest > known) {
    throw new PulsebotError('DB_NEWER_THAN_CODE', `the database was migrated by a newer pulsebot (migration ${newest}; this version knows ${known})`, {
      hint: 'upgrade pulsebot; running older code against a newer schema could damage it',
    });
  }
}

export interface MigrationStatus {
  known: number;
  applied: number[];
  pending: number[];
  newer: number[];
}

export async function migrationStatus(sql: Sql, migrations: Migration[] = loadMigrations()): Promise<MigrationStatus> {
  const [exists] = await sql<{ present: boolean }[]>`select to_regclass('pulsebot.migrations') is not null as present`;
  const applied = exists?.present ? (await sql<{ id: number }[]>`select id from pulsebot.migrations order by id`).map((r) => r.id) : [];
  const set = new Set(applied);
  return {
    known: migrations.length,
    applied,
    pending: migrations.filter((m) => !set.has(m.id)).map((m) => m.id),
    newer: applied.filter((id) => id > migrations.length),
  };
}
