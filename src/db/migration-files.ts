import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PulsebotError } from '../errors.js';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** A numbered migration: applied once, in order, and never changed afterwards. */
export interface Migration {
  id: number;
  name: string;
  /** e.g. `000001_baseline.sql`, for messages. */
  file: string;
  sql: string;
  checksum: string;
}

export type DefinitionKind = 'function' | 'view' | 'materialized view' | 'trigger';

/** The one current definition of a function, view or trigger, applied again whenever it changes. */
export interface Definition {
  /** The path under sql/, e.g. `functions/fold_changes.sql`: the definition's key in the ledger. */
  path: string;
  kind: DefinitionKind;
  /** The object's name (the file's name without `.sql`). */
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATION_FILE = /^(\d{6})_([a-z0-9_]+)\.sql$/;
const DEFINITION_PATH = /^(functions|views|triggers)\/([a-z0-9_]+)\.sql$/;
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|start\s+transaction)\s*;/im;

const checksum = (text: string) => createHash('sha256').update(text).digest('hex');

function refuseTransactionControl(file: string, sql: string): void {
  // Each file runs inside the runner's transaction; its own BEGIN/COMMIT would end that early.
  if (TRANSACTION_CONTROL.test(sql)) {
    throw new PulsebotError(
      'MIGRATION_INVALID',
      `${file} contains transaction control (BEGIN/COMMIT); the runner wraps each file in a transaction`,
    );
  }
}

export function loadMigrations(sqlDir: string = SQL_DIR): Migration[] {
  const dir = `${sqlDir}/migrations`;
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) {
        throw new PulsebotError('MIGRATION_INVALID', `migration file ${file} is not named NNNNNN_name.sql`);
      }
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      refuseTransactionControl(`migration ${file}`, sql);
      return { id: Number(match[1]), name: match[2]!, file, sql, checksum: checksum(sql) };
    });
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) {
      throw new PulsebotError(
        'MIGRATION_INVALID',
        `migrations must be numbered 1, 2, 3… without gaps; found ${m.id} at position ${i + 1}`,
      );
    }
  });
  return migrations;
}

/**
 * The definitions in the order `sql/definitions.txt` declares (what an object uses comes before
 * it). Every file under functions/, views/ and triggers/ must be listed exactly once, so a new
 * file cannot be forgotten and a listed file cannot be missing.
 */
export function loadDefinitions(sqlDir: string = SQL_DIR): Definition[] {
  const listPath = `${sqlDir}/definitions.txt`;
  if (!existsSync(listPath)) return [];
  const listed = readFileSync(listPath, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
  const seen = new Set<string>();
  const definitions = listed.map((path) => {
    const match = DEFINITION_PATH.exec(path);
    if (!match)
      throw new PulsebotError(
        'MIGRATION_INVALID',
        `sql/definitions.txt: "${path}" is not functions|views|triggers/<name>.sql`,
      );
    if (seen.has(path)) throw new PulsebotError('MIGRATION_INVALID', `sql/definitions.txt lists ${path} twice`);
    seen.add(path);
    const file = `${sqlDir}/${path}`;
    if (!existsSync(file))
      throw new PulsebotError('MIGRATION_INVALID', `sql/definitions.txt lists ${path}, which does not exist`);
    const sql = readFileSync(file, 'utf8');
    refuseTransactionControl(`sql/${path}`, sql);
    const folder = match[1]!;
    const kind: DefinitionKind =
      folder === 'functions'
        ? 'function'
        : folder === 'triggers'
          ? 'trigger'
          : /create\s+materialized\s+view/i.test(sql)
            ? 'materialized view'
            : 'view';
    return { path, kind, name: match[2]!, sql, checksum: checksum(sql) };
  });
  for (const folder of ['functions', 'views', 'triggers']) {
    const dir = `${sqlDir}/${folder}`;
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      if (!seen.has(`${folder}/${file}`)) {
        throw new PulsebotError('MIGRATION_INVALID', `sql/${folder}/${file} is not listed in sql/definitions.txt`);
      }
    }
  }
  return definitions;
}
