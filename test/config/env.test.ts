import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  databaseTargetFromEnv,
  describeTarget,
  slackAppTokenFromEnv,
  outboxDirFromEnv,
  parseDatabaseUrl,
  portFromEnv,
} from '../../src/config/env.js';
import { PulsebotError } from '../../src/errors.js';

const PASSWORD = 's3cr3t-pw';

function errorOf(fn: () => unknown): PulsebotError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PulsebotError);
    return error as PulsebotError;
  }
  throw new Error('expected an error, but the call succeeded');
}

/** Everything a user could ever see of an error: message, hint, stack, and the whole cause chain. */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  while (e !== undefined && e !== null) {
    if (e instanceof Error) {
      parts.push(e.message, e.stack ?? '', (e as { hint?: string }).hint ?? '');
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join('\n');
}

describe('DATABASE_URL', () => {
  it('extracts host, port, database and user', () => {
    const target = databaseTargetFromEnv({
      DATABASE_URL: `postgres://analyst:${PASSWORD}@db.internal.example:6543/analytics`,
    });
    expect(target).toEqual({
      kind: 'postgres',
      url: `postgres://analyst:${PASSWORD}@db.internal.example:6543/analytics`,
      host: 'db.internal.example',
      port: 6543,
      database: 'analytics',
      user: 'analyst',
    });
  });

  it('accepts postgresql://, decodes percent-escapes and defaults the port to 5432', () => {
    const target = parseDatabaseUrl(`postgresql://ops%40acme:${PASSWORD}@10.0.0.5/usage%20db`, 'DATABASE_URL');
    expect(target).toMatchObject({ host: '10.0.0.5', port: 5432, database: 'usage db', user: 'ops@acme' });
  });

  it('defaults the database to the user name, and the user to postgres (as libpq does)', () => {
    expect(parseDatabaseUrl('postgres://reporter@db.example', 'DATABASE_URL')).toMatchObject({
      user: 'reporter',
      database: 'reporter',
    });
    expect(parseDatabaseUrl('postgres://db.example', 'DATABASE_URL')).toMatchObject({
      user: 'postgres',
      database: 'postgres',
      port: 5432,
    });
  });

  it('ignores surrounding whitespace', () => {
    expect(databaseTargetFromEnv({ DATABASE_URL: `  postgres://u:${PASSWORD}@h:5433/d \n` })).toMatchObject({
      host: 'h',
      port: 5433,
      database: 'd',
      user: 'u',
    });
  });

  it('the description for logs names host, port, database and user but not the password', () => {
    const target = parseDatabaseUrl(`postgres://analyst:${PASSWORD}@db.example:6543/analytics`, 'DATABASE_URL');
    expect(describeTarget(target)).toBe('PostgreSQL at db.example:6543/analytics as analyst');
  });

  it.each([
    ['not a URL at all', `analyst ${PASSWORD} db.example`],
    ['a port out of range', `postgres://analyst:${PASSWORD}@db.example:99999/analytics`],
    ['an unencoded slash in the password', `postgres://analyst:${PASSWORD}/x@db.example/analytics`],
  ])('%s is ENV_INVALID and the message does not contain the password', (_, url) => {
    const e = errorOf(() => databaseTargetFromEnv({ DATABASE_URL: url }));
    expect(e.code).toBe('ENV_INVALID');
    expect(e.message).toBe('DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/database)');
    expect(everythingShown(e)).not.toContain(PASSWORD);
  });

  it.each([`mysql://analyst:${PASSWORD}@db.example/analytics`, `https://analyst:${PASSWORD}@db.example/analytics`])(
    'a wrong scheme (%s) is ENV_INVALID and the message does not contain the password',
    (url) => {
      const e = errorOf(() => databaseTargetFromEnv({ DATABASE_URL: url }));
      expect(e.code).toBe('ENV_INVALID');
      expect(e.message).toMatch(/^DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
      expect(everythingShown(e)).not.toContain(PASSWORD);
    },
  );

  // With one slash or none after the scheme, WHATWG URL parsing sees no authority, so
  // "u:password@host/db" would become the database name and be printed in messages.
  it.each([
    `postgres:/analyst:${PASSWORD}@db.example/analytics`,
    `postgresql:analyst:${PASSWORD}@db.example/analytics`,
  ])('a URL missing the // after the scheme (%s) is ENV_INVALID without the password', (url) => {
    const e = errorOf(() => databaseTargetFromEnv({ DATABASE_URL: url }));
    expect(e.code).toBe('ENV_INVALID');
    expect(everythingShown(e)).not.toContain(PASSWORD);
  });

  it('names the variable it was given', () => {
    expect(errorOf(() => parseDatabaseUrl('mysql://h/d', 'TEST_DATABASE_URL')).message).toMatch(
      /^TEST_DATABASE_URL must start with/,
    );
  });

  it.each([
    ['unset', {}],
    ['empty', { DATABASE_URL: '' }],
    ['blank', { DATABASE_URL: '   ' }],
  ])('%s means the embedded database under ./data, resolved against the working directory', (_, env) => {
    expect(databaseTargetFromEnv(env)).toEqual({ kind: 'embedded', dataDir: join(process.cwd(), 'data') });
  });

  it('PULSEBOT_DATA_DIR moves the embedded database (relative paths resolved)', () => {
    expect(databaseTargetFromEnv({ PULSEBOT_DATA_DIR: '/var/lib/pulsebot' })).toEqual({
      kind: 'embedded',
      dataDir: '/var/lib/pulsebot',
    });
    expect(databaseTargetFromEnv({ DATABASE_URL: '', PULSEBOT_DATA_DIR: 'state/db' })).toEqual({
      kind: 'embedded',
      dataDir: join(process.cwd(), 'state', 'db'),
    });
    expect(databaseTargetFromEnv({ PULSEBOT_DATA_DIR: '' })).toEqual({
      kind: 'embedded',
      dataDir: join(process.cwd(), 'data'),
    });
  });

  it('DATABASE_URL wins over PULSEBOT_DATA_DIR', () => {
    expect(databaseTargetFromEnv({ DATABASE_URL: 'postgres://h/d', PULSEBOT_DATA_DIR: '/var/lib/pulsebot' }).kind).toBe(
      'postgres',
    );
  });
});

describe('PULSEBOT_PORT and PULSEBOT_OUTBOX_DIR', () => {
  it('the port defaults to 9470 and must be 0–65535', () => {
    expect(portFromEnv({})).toBe(9470);
    expect(portFromEnv({ PULSEBOT_PORT: '' })).toBe(9470);
    expect(portFromEnv({ PULSEBOT_PORT: '8080' })).toBe(8080);
    for (const bad of ['65536', '-1', 'http', '80.5']) {
      const e = errorOf(() => portFromEnv({ PULSEBOT_PORT: bad }));
      expect(e.code).toBe('ENV_INVALID');
      expect(e.message).toContain(`"${bad}"`);
    }
  });

  it('the outbox defaults to ./outbox, resolved', () => {
    expect(outboxDirFromEnv({})).toBe(join(process.cwd(), 'outbox'));
    expect(outboxDirFromEnv({ PULSEBOT_OUTBOX_DIR: '/srv/outbox' })).toBe('/srv/outbox');
  });
});

describe('SLACK_APP_TOKEN', () => {
  const bot = 'xoxb-1-bot';
  it('unset: no buttons', () => {
    expect(slackAppTokenFromEnv({ SLACK_BOT_TOKEN: bot })).toBeNull();
    expect(slackAppTokenFromEnv({ SLACK_APP_TOKEN: '  ', SLACK_BOT_TOKEN: bot })).toBeNull();
  });
  it('an app-level token with the bot token', () => {
    expect(slackAppTokenFromEnv({ SLACK_APP_TOKEN: ' xapp-1-A1-2-abc ', SLACK_BOT_TOKEN: bot })).toBe(
      'xapp-1-A1-2-abc',
    );
  });
  it('a bot token in its place, or no bot token, is a usage error that names the variable and never echoes the token', () => {
    for (const env of [
      { SLACK_APP_TOKEN: 'xoxb-1-secret-value', SLACK_BOT_TOKEN: bot },
      { SLACK_APP_TOKEN: 'xapp-1-secret-value' },
    ]) {
      let error: unknown;
      try {
        slackAppTokenFromEnv(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PulsebotError);
      expect((error as PulsebotError).code).toBe('ENV_INVALID');
      expect((error as PulsebotError).message).toMatch(/^SLACK_APP_TOKEN /);
      expect((error as PulsebotError).message).not.toContain('secret-value');
    }
  });
});
