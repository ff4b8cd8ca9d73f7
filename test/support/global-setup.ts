import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase, type Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { adminUrl, databaseUrl, runId } from './postgres-url.js';
import { buildForProcesses } from './process-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteBlankDump: string;
    pgliteMigratedDump: string;
    /** A migrated template database on TEST_DATABASE_URL's server, or '' when that is unset. */
    postgresTemplate: string;
    runId: string;
    /** Where the transpiled sources live, for tests that start pulsebot as a process. */
    processBuild: string;
    /** The vitest project a test file runs in (set in vitest.config.ts). */
    testProject: 'unit' | 'db' | 'process';
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Provided = Pick<
  import('vitest').ProvidedContext,
  'pgliteBlankDump' | 'pgliteMigratedDump' | 'postgresTemplate' | 'runId' | 'processBuild'
>;

interface Prepared {
  provided: Provided;
  cleanup(): Promise<void>;
}

/**
 * initdb of a PGlite directory costs seconds, so it happens once: a blank and a migrated database
 * are dumped here, and every test file loads its own copy. On real PostgreSQL a migrated template
 * database plays the same role (CREATE DATABASE … TEMPLATE). The sources are transpiled here too,
 * for the tests that start pulsebot as a process.
 */
async function prepare(): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsebot-test-'));
  const id = runId();

  const processBuild = join(dir, 'build');
  mkdirSync(processBuild);
  buildForProcesses(ROOT, processBuild);

  // Stored as plain tar: every test file loads one, and PGlite then skips the gunzip.
  const dumpTo = async (path: string, dump: Blob) =>
    writeFileSync(path, gunzipSync(Buffer.from(await dump.arrayBuffer())));
  const db = await openEmbeddedDatabase({});
  const blankPath = join(dir, 'blank.tar');
  await dumpTo(blankPath, await db.dump!());
  await migrate(db.sql);
  const migratedPath = join(dir, 'migrated.tar');
  await dumpTo(migratedPath, await db.dump!());
  await db.close();

  let template = '';
  if (process.env.TEST_DATABASE_URL) {
    template = `pulsebot_tpl_${id}`;
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${template}`);
    const tpl = postgres(databaseUrl(template), { max: 1, onnotice: () => {} });
    await migrate(tpl as unknown as Sql);
    await tpl.end();
    await admin.end();
  }

  return {
    provided: {
      pgliteBlankDump: blankPath,
      pgliteMigratedDump: migratedPath,
      postgresTemplate: template,
      runId: id,
      processBuild,
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      if (template) {
        const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
        // Test files drop their own databases; this also catches any a crashed file left behind.
        const left = await admin<
          { datname: string }[]
        >`select datname from pg_database where datname like ${`pulsebot\\_%${id}%`}`;
        for (const { datname } of left) await admin`drop database if exists ${admin(datname)} with (force)`;
        await admin.end();
      }
    },
  };
}

/**
 * The db and process projects both name this file; vitest runs it once per project, in one
 * process, so the databases are prepared by whichever comes first and removed after the last.
 */
const SHARED = Symbol.for('pulsebot.test.prepared');
type Shared = { prepared: Promise<Prepared>; users: number };
const store = globalThis as typeof globalThis & { [SHARED]?: Shared };

export default async function setup(project: TestProject) {
  const shared = (store[SHARED] ??= { prepared: prepare(), users: 0 });
  shared.users++;
  const { provided, cleanup } = await shared.prepared;
  for (const [key, value] of Object.entries(provided)) project.provide(key as keyof Provided, value);
  return async () => {
    if (--shared.users > 0) return;
    delete store[SHARED];
    await cleanup();
  };
}
