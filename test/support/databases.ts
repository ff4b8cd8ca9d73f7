import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { parseDatabaseUrl } from '../../src/config/env.js';
import { openDatabase, openEmbeddedDatabase, type Database } from '../../src/db/connect.js';
import { adminUrl, databaseUrl } from './postgres-url.js';

export type TargetName = 'pglite' | 'postgres';

/** PGlite always; real PostgreSQL as well when TEST_DATABASE_URL is set. */
export const TARGETS: TargetName[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface FreshOptions {
  /** Start from the migrated template (default) or from an empty database. */
  migrated?: boolean;
}

let counter = 0;

function dumpBlob(migrated: boolean): Blob {
  const path = migrated ? inject('pgliteMigratedDump') : inject('pgliteBlankDump');
  return new Blob([readFileSync(path)]);
}

async function createPostgresDatabase(migrated: boolean): Promise<string> {
  const name = `pulsebot_t_${inject('runId')}_${process.pid}_${++counter}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin`create database ${admin(name)} template ${admin(migrated ? inject('postgresTemplate') : 'template0')}`;
  } finally {
    await admin.end();
  }
  return name;
}

async function dropPostgresDatabase(name: string): Promise<void> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin`drop database if exists ${admin(name)} with (force)`;
  } finally {
    await admin.end();
  }
}

/** A database of its own for one test file, opened through the same code the CLI uses. */
export async function freshDatabase(target: TargetName, options: FreshOptions = {}): Promise<Database> {
  const migrated = options.migrated ?? true;
  if (target === 'pglite') return openEmbeddedDatabase({ loadDataDir: dumpBlob(migrated) });
  const name = await createPostgresDatabase(migrated);
  const db = await openDatabase(parseDatabaseUrl(databaseUrl(name), 'TEST_DATABASE_URL'));
  return {
    ...db,
    async close() {
      await db.close();
      await dropPostgresDatabase(name);
    },
  };
}

/**
 * For tests that run the CLI as a subprocess: environment variables that point pulsebot at a
 * fresh database, plus `open` to look inside between runs (close it again before the next run:
 * an embedded data directory has one owner at a time).
 */
export interface FreshEnvironment {
  env: Record<string, string>;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

export async function freshEnvironment(target: TargetName, options: FreshOptions = {}): Promise<FreshEnvironment> {
  const migrated = options.migrated ?? true;
  if (target === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'pulsebot-data-'));
    const dataDir = join(dir, 'data');
    const init = await openEmbeddedDatabase({ dataDir, loadDataDir: dumpBlob(migrated) });
    await init.close();
    return {
      env: { PULSEBOT_DATA_DIR: dataDir, DATABASE_URL: '' },
      open: () => openEmbeddedDatabase({ dataDir }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = await createPostgresDatabase(migrated);
  const url = databaseUrl(name);
  return {
    env: { DATABASE_URL: url },
    open: () => openDatabase(parseDatabaseUrl(url, 'TEST_DATABASE_URL')),
    cleanup: () => dropPostgresDatabase(name),
  };
}
