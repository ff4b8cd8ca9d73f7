import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject, type ProvidedContext } from 'vitest';
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

/**
 * What the db and process projects' global setup prepared. The unit project has no database:
 * a test there that asks for one fails here, saying how to move it.
 */
function prepared<K extends 'pgliteMigratedDump' | 'pgliteBlankDump' | 'postgresTemplate' | 'runId'>(
  key: K,
): ProvidedContext[K] {
  const value = inject(key);
  if (value === undefined) {
    throw new Error(
      `this test needs a database, but runs in the ${inject('testProject') ?? 'unknown'} project, which has none: ` +
        'name its file *.db.test.ts (or *.process.test.ts if it starts pulsebot as a process); see vitest.config.ts',
    );
  }
  return value;
}

function dumpBlob(migrated: boolean): Blob {
  const path = migrated ? prepared('pgliteMigratedDump') : prepared('pgliteBlankDump');
  return new Blob([readFileSync(path)]);
}

async function createPostgresDatabase(migrated: boolean): Promise<string> {
  const name = `pulsebot_t_${prepared('runId')}_${process.pid}_${++counter}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin`create database ${admin(name)} template ${admin(migrated ? prepared('postgresTemplate') : 'template0')}`;
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
