import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sql } from '../../src/db/connect.js';

const LEGACY_DIR = fileURLToPath(new URL('../fixtures/legacy-chain/', import.meta.url));

/**
 * Migrates a database the way pulsebot did before the baseline (up to commit c448a6b): the 28
 * numbered files of that chain, each in a transaction with its ledger row. `through` stops early,
 * for a database left part-way.
 */
export async function migrateWithLegacyChain(sql: Sql, through = 28): Promise<void> {
  await sql`create schema if not exists pulsebot`;
  await sql`
    create table if not exists pulsebot.migrations (
      id         integer primary key,
      name       text not null,
      checksum   text not null,
      applied_at timestamptz not null default now()
    )`;
  const files = readdirSync(LEGACY_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .slice(0, through);
  for (const file of files) {
    const text = readFileSync(`${LEGACY_DIR}/${file}`, 'utf8');
    const [, id, name] = /^(\d{6})_(.+)\.sql$/.exec(file)!;
    await sql.begin(async (tx) => {
      await tx`insert into pulsebot.migrations (id, name, checksum)
               values (${Number(id)}, ${name!}, ${createHash('sha256').update(text).digest('hex')})`;
      await tx.unsafe(text);
    });
  }
}
