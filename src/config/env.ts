import { resolve } from 'node:path';
import { PulsebotError } from '../errors.js';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; host: string; port: number; database: string; user: string }
  | { kind: 'embedded'; dataDir: string };

/** Where the database is, in words safe for logs: never the password, never the full URL. */
export function describeTarget(target: DatabaseTarget): string {
  return target.kind === 'postgres'
    ? `PostgreSQL at ${target.host}:${target.port}/${target.database} as ${target.user}`
    : `embedded PGlite in ${target.dataDir}`;
}

export function databaseTargetFromEnv(env: NodeJS.ProcessEnv): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (!url) return { kind: 'embedded', dataDir: resolve(env.PULSEBOT_DATA_DIR || './data') };
  return parseDatabaseUrl(url, 'DATABASE_URL');
}

export function parseDatabaseUrl(url: string, variable: string): Extract<DatabaseTarget, { kind: 'postgres' }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value may hold a password: say what is wrong, never echo it (nor keep it as a cause).
    throw new PulsebotError(
      'ENV_INVALID',
      `${variable} is not a valid URL (expected postgres://user:password@host:5432/database)`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PulsebotError(
      'ENV_INVALID',
      `${variable} must start with postgres:// or postgresql:// (got ${parsed.protocol}//…)`,
    );
  }
  // Without the two slashes `user:password@host` would be read as a path, and later echoed.
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new PulsebotError(
      'ENV_INVALID',
      `${variable} must start with postgres:// or postgresql:// (two slashes, then user:password@host)`,
    );
  }
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port ? Number(parsed.port) : 5432;
  const database =
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  const user = decodeURIComponent(parsed.username) || 'postgres';
  return { kind: 'postgres', url, host, port, database, user };
}

export function portFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.PULSEBOT_PORT?.trim();
  if (!raw) return 9470;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PulsebotError('ENV_INVALID', `PULSEBOT_PORT must be a port number 0–65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

export function outboxDirFromEnv(env: NodeJS.ProcessEnv): string {
  return resolve(env.PULSEBOT_OUTBOX_DIR || './outbox');
}

/**
 * SLACK_APP_TOKEN: the app-level token (xapp-…, connections:write) that turns on the buttons of
 * Slack alerts over Socket Mode; null when unset. They act through the bot, so it needs
 * SLACK_BOT_TOKEN too.
 */
export function slackAppTokenFromEnv(env: NodeJS.ProcessEnv): string | null {
  const token = env.SLACK_APP_TOKEN?.trim();
  if (!token) return null;
  if (!token.startsWith('xapp-')) {
    throw new PulsebotError(
      'ENV_INVALID',
      'SLACK_APP_TOKEN must be an app-level token (xapp-…); bot (xoxb-…) and user tokens cannot open Socket Mode',
      { hint: 'create one under Basic Information → App-Level Tokens with the connections:write scope' },
    );
  }
  if (!env.SLACK_BOT_TOKEN?.trim()) {
    throw new PulsebotError(
      'ENV_INVALID',
      'SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: the alert buttons answer through the bot',
      { hint: 'set SLACK_BOT_TOKEN (xoxb-…), or unset SLACK_APP_TOKEN to go without buttons' },
    );
  }
  return token;
}
