import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { PulsebotError } from '../../src/errors.js';

/** A config error never repeats a value that came from the environment: it names the variable. */

const FILE = 'pulsebot.yaml';
const TOKEN = 'xoxb-1111-2222-s3cr3tT0k3n';
const SMTP_URL = 'smtp://mailer:Pw-SECRET-42@smtp.example.com:587';
const ENV = { SLACK_BOT_TOKEN: TOKEN, SMTP_URL };

function errorOf(text: string, env: NodeJS.ProcessEnv = ENV): PulsebotError {
  try {
    parseConfigText(text, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(PulsebotError);
    return error as PulsebotError;
  }
  throw new Error('expected an error');
}

/** Everything the CLI could print, DEBUG=1 included: message, hint and the cause chain. */
function everything(e: unknown): string {
  const parts: string[] = [];
  let at: unknown = e;
  while (at instanceof Error) {
    parts.push(at.message, at.stack ?? '', (at as PulsebotError).hint ?? '');
    at = at.cause;
  }
  return parts.join('\n');
}

describe('values from ${VAR} are named, never echoed', () => {
  it('a token in dashboard.timezone', () => {
    const e = errorOf('dashboard:\n  timezone: ${SLACK_BOT_TOKEN}\n');
    expect(e.message).toBe(
      `${FILE}: dashboard.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC" (the value of \${SLACK_BOT_TOKEN})`,
    );
    expect(everything(e)).not.toContain('s3cr3t');
  });

  it('an SMTP URL with its password in dashboard.url', () => {
    const e = errorOf('dashboard:\n  url: ${SMTP_URL}\n');
    expect(e.message).toBe(`${FILE}: dashboard.url: expected an http(s) URL (the value of \${SMTP_URL})`);
    expect(everything(e)).not.toContain('Pw-SECRET');
    expect(everything(e)).not.toContain('mailer');
  });

  it('a value built from several variables names them all', () => {
    const e = errorOf('dashboard:\n  timezone: ${SLACK_BOT_TOKEN}/${SMTP_URL}\n');
    expect(e.message).toBe(
      `${FILE}: dashboard.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC" (built from \${SLACK_BOT_TOKEN} and \${SMTP_URL})`,
    );
    expect(everything(e)).not.toMatch(/s3cr3t|Pw-SECRET/);
  });

  it('in a list, in a cron and in a number', () => {
    expect(errorOf('reports:\n  daily:\n    routes:\n      slack: ["${SLACK_BOT_TOKEN}"]\n').message).toBe(
      `${FILE}: reports.daily.routes.slack[0]: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD" (the value of \${SLACK_BOT_TOKEN})`,
    );
    const cron = errorOf('refresh:\n  schedule: ${SLACK_BOT_TOKEN}\n');
    expect(cron.message).toBe(
      `${FILE}: refresh.schedule: expected a cron expression such as "*/5 * * * *": 5 fields (minute hour day month weekday), or 6 with leading seconds (the value of \${SLACK_BOT_TOKEN})`,
    );
    const pool = errorOf('database:\n  pool_max: ${PB_POOL}\n', { PB_POOL: '123456789' });
    expect(pool.message).toBe(
      `${FILE}: database.pool_max: expected a pool size: a whole number from 1 to 100 (the value of \${PB_POOL})`,
    );
    expect(everything(pool)).not.toContain('123456789');
  });

  it('a cron that croner rejects: its reason quotes the value, and is left out too', () => {
    const e = errorOf('refresh:\n  schedule: ${PB_CRON}\n', { PB_CRON: '61 25 * * *' });
    expect(e.message).toBe(
      `${FILE}: refresh.schedule: expected a cron expression such as "*/5 * * * *" (the value of \${PB_CRON})`,
    );
  });

  it('a message about another key that quotes the value names the variable there too', () => {
    const e = errorOf('reports:\n  daily:\n    charts: ["${PB_CHART}"]\n', { PB_CHART: 'cost_by_secret_plan' });
    expect(e.message).toMatch(
      /^pulsebot\.yaml: reports\.daily\.charts\[0\]: unknown chart "\$\{PB_CHART\}" \(built-in: /,
    );
    expect(everything(e)).not.toContain('cost_by_secret_plan');
  });

  it('every problem in the hint is treated the same', () => {
    const e = errorOf('dashboard:\n  timezone: ${SLACK_BOT_TOKEN}\n  url: ${SMTP_URL}\n');
    expect(e.hint).toBe(`also ${FILE}: dashboard.url: expected an http(s) URL (the value of \${SMTP_URL})`);
    expect(everything(e)).not.toMatch(/s3cr3t|Pw-SECRET/);
  });

  it('a value written in the file itself is still shown', () => {
    expect(errorOf('dashboard:\n  timezone: Mars/Olympus\n').message).toContain('got "Mars/Olympus"');
  });

  it('a fallback is text from the file, and is shown', () => {
    expect(errorOf('dashboard:\n  timezone: ${PB_UNSET_TZ:-Mars/Olympus}\n', {}).message).toContain(
      'got "Mars/Olympus"',
    );
  });
});

describe('a config path that is not a readable file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-config-path-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function loadError(path: string): PulsebotError {
    try {
      loadConfig({ path, env: {} });
    } catch (error) {
      expect(error).toBeInstanceOf(PulsebotError);
      return error as PulsebotError;
    }
    throw new Error('expected an error');
  }

  it('a directory is a configuration error naming it', () => {
    const e = loadError(dir);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${dir}: is a directory, expected a YAML file`);
  });

  it('the same through PULSEBOT_CONFIG', () => {
    expect(() => loadConfig({ env: { PULSEBOT_CONFIG: dir } })).toThrow(`${dir}: is a directory, expected a YAML file`);
  });

  // root reads any file, so the permission case can only be seen as another user.
  it.skipIf(process.getuid?.() === 0)('an unreadable file is a configuration error naming it', () => {
    const file = join(dir, 'locked.yaml');
    writeFileSync(file, 'dashboard:\n  timezone: UTC\n');
    chmodSync(file, 0o000);
    const e = loadError(file);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${file}: cannot be read: permission denied`);
  });

  it('a document that expands aliases without bound is refused as YAML', () => {
    const file = join(dir, 'laughs.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(file, `${levels.join('\n')}\n`);
    const e = loadError(file);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(new RegExp(`^${file}: not valid YAML: `));
  });
});
