import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase, type Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { adminUrl, databaseUrl, runId } from './postgres-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteBlankDump: string;
    pgliteMigratedDump: string;
    /** A migrated template database on TEST_DATABASE_URL's server, or '' when that is unset. */
    postgresTemplate: string;
    runId: string;
  }
}

/**
 * initdb of a PGlite directory costs seconds, so it happens once: a blank and a migrated database
 * are dumped here, and every test file loads its own copy. On real PostgreSQL a migrated template
 * database plays the same role (CREATE DATABASE … TEMPLATE).
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'pulsebot-test-'));
  const id = runId();

  const db = await openEmbeddedDatabase({});
  const blankPath = join(dir, 'blank.tar.gz');
  writeFileSync(blankPath, Buffer.from(await (await db.dump!()).arrayBuffer()));
  await migrate(db.sql);
  const migratedPath = join(dir, 'migrated.tar.gz');
  writeFileSync(migratedPath, Buffer.from(await (await db.dump!()).arrayBuffer()));
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

  project.provide('pgliteBlankDump', blankPath);
  project.provide('pgliteMigratedDump', migratedPath);
  project.provide('postgresTemplate', template);
  project.provide('runId', id);

  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (template) {
      const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      // Test files drop their own databases; this also catches any a crashed file left behind.
      const left = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`pulsebot\\_%${id}%`}`;
      for (const { datname } of left) await admin`drop database if exists ${admin(datname)} with (force)`;
      await admin.end();
    }
  };
}
