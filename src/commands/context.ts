import { databaseTargetFromEnv } from '../config/env.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { openDatabase, type Database } from '../db/connect.js';
import { explainPermissionError } from '../db/permissions.js';
import type { UpkeepLog } from '../db/refresh.js';
import { assertDashboardTimezone } from '../db/settings.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** What every command receives: the process's edges, passed in so commands stay testable. */
export interface CommandContext {
  env: NodeJS.ProcessEnv;
  io: Io;
  now: () => Date;
  /** --config, read lazily so `--help` works with a broken config file. */
  configPath: () => string | undefined;
  /** A command that reports failure without an error message (doctor's ✗) sets this. */
  setExitCode: (code: 0 | 1 | 2) => void;
}

/** Warnings that do not fail a command (a refresh's upkeep), on stderr with the data on stdout. */
export function warningsTo(io: Io): UpkeepLog {
  return { warn: (_fields, message) => io.err(`warning: ${message}`) };
}

export function loadCommandConfig(ctx: CommandContext): LoadedConfig {
  return loadConfig({ path: ctx.configPath(), env: ctx.env });
}

export async function openFromConfig(ctx: CommandContext, loaded: LoadedConfig): Promise<Database> {
  const { database } = loaded.config;
  return openDatabase(databaseTargetFromEnv(ctx.env), {
    poolMax: database.pool_max,
    connectTimeoutSeconds: database.connect_timeout_seconds,
    statementTimeoutSeconds: database.statement_timeout_seconds,
  });
}

/**
 * Opens the database, runs `fn`, and always closes it (an open pool keeps the process alive).
 * Every command but `migrate` first checks that the config's dashboard zone is the database's
 * (src/db/settings.ts), and a permission error says what to grant.
 */
export async function withDatabase<T>(
  ctx: CommandContext,
  fn: (db: Database, loaded: LoadedConfig) => Promise<T>,
  options: { timezone: 'check' | 'set by the command' } = { timezone: 'check' },
): Promise<T> {
  const loaded = loadCommandConfig(ctx);
  const db = await openFromConfig(ctx, loaded);
  try {
    if (options.timezone === 'check') await assertDashboardTimezone(db.sql, loaded.config.dashboard.timezone);
    return await fn(db, loaded);
  } catch (error) {
    throw await explainPermissionError(db.sql, error, loaded.config.database.runtime_role);
  } finally {
    await db.close();
  }
}
