import postgres from 'postgres';
import { describeTarget, type DatabaseTarget } from '../config/env.js';
import { PulsebotError, messageOf } from '../errors.js';
// PGlite (WASM, tens of MB) loads only when the embedded database is used.
import type { EmbeddedOptions } from './embedded.js';

/**
 * int8 and numeric arrive as strings by default. Counts and money in reports fit a double
 * comfortably; exact money arithmetic stays in SQL.
 */
const types = {
  int8: { to: 20, from: [20], serialize: (x: number | bigint) => String(x), parse: (x: string) => Number(x) },
  numeric: { to: 1700, from: [1700], serialize: (x: number | string) => String(x), parse: (x: string) => Number(x) },
};

export type Sql = postgres.Sql<{ int8: number; numeric: number }>;
export type TransactionSql = postgres.TransactionSql<{ int8: number; numeric: number }>;

export interface Database {
  sql: Sql;
  target: DatabaseTarget;
  /** Safe to print: names host, port and database, never the password. */
  description: string;
  close(): Promise<void>;
  /** Embedded only: a gzipped tarball of the data directory (a backup, or a test template). */
  dump?: () => Promise<Blob>;
}

export interface PoolOptions {
  poolMax: number;
  connectTimeoutSeconds: number;
  statementTimeoutSeconds: number;
}

const DEFAULT_POOL: PoolOptions = { poolMax: 4, connectTimeoutSeconds: 10, statementTimeoutSeconds: 60 };

export async function openDatabase(target: DatabaseTarget, pool: PoolOptions = DEFAULT_POOL): Promise<Database> {
  if (target.kind === 'embedded') return openEmbeddedDatabase({ dataDir: target.dataDir }, pool);
  const description = describeTarget(target);
  const sql = postgres(target.url, {
    ...common(pool),
    max: pool.poolMax,
  }) as unknown as Sql;
  await verify(sql, description, passwordOf(target.url));
  return { sql, target, description, close: () => sql.end({ timeout: 5 }) };
}

export async function openEmbeddedDatabase(
  options: EmbeddedOptions,
  pool: PoolOptions = DEFAULT_POOL,
): Promise<Database> {
  const { startEmbedded } = await import('./embedded.js');
  const server = await startEmbedded(options);
  const target: DatabaseTarget = { kind: 'embedded', dataDir: options.dataDir ?? '(memory)' };
  const description = describeTarget(target);
  // pglite-socket runs every client on one backend session: one connection, prepared statements on.
  const sql = postgres({
    ...common(pool),
    host: server.host,
    port: server.port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
  }) as unknown as Sql;
  try {
    await verify(sql, description, undefined);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    sql,
    target,
    description,
    async close() {
      await sql.end({ timeout: 5 });
      await server.stop();
    },
    dump: () => server.db.dumpDataDir('gzip'),
  };
}

function common(pool: PoolOptions) {
  return {
    types,
    connect_timeout: pool.connectTimeoutSeconds,
    // Longer than the usual refresh interval (5 minutes): a refresh runs its steps on up to four
    // connections at once, and on a new connection each step first pays for the session's caches
    // and compiled functions (measured: ~2x slower at 10M rows).
    idle_timeout: 900,
    onnotice: () => {},
    connection: { application_name: 'pulsebot', statement_timeout: pool.statementTimeoutSeconds * 1000 },
  };
}

async function verify(sql: Sql, description: string, password: string | undefined): Promise<void> {
  try {
    await sql`select 1`;
  } catch (cause) {
    // Best-effort cleanup of a pool that never connected; the connection failure is thrown below.
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new PulsebotError('DB_CONNECT', `cannot connect to ${description}: ${scrub(reason(cause), password)}`, {
      cause,
      hint: 'check DATABASE_URL (or unset it to use the embedded database) and that the server is running',
    });
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host not found';
  if (code === 'CONNECT_TIMEOUT') return 'timed out';
  return messageOf(error);
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    // config/env.ts rejects an unparsable DATABASE_URL when it is read; this only feeds the scrub.
    return undefined;
  }
}

/** Belt and braces: no message we print may contain the password, whatever a driver put in it. */
function scrub(text: string, password: string | undefined): string {
  if (!password) return text;
  return text.split(password).join('***').split(encodeURIComponent(password)).join('***');
}
