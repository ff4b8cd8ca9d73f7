import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { substituteEnv } from '../../src/config/substitute.js';
import { defaultConfig, type PulsebotConfig } from '../../src/config/schema.js';
import { PulsebotError } from '../../src/errors.js';

const EXAMPLE = fileURLToPath(new URL('../../config/pulsebot.example.yaml', import.meta.url));

/** The built-in defaults, written out by hand from the contract (not computed from the schema). */
const DEFAULTS: PulsebotConfig = {
  dashboard: { timezone: 'UTC', url: null, readers: [] },
  database: {
    pool_max: 4,
    connect_timeout_seconds: 10,
    statement_timeout_seconds: 60,
    runtime_role: 'pulsebot_runtime',
  },
  refresh: { schedule: '*/5 * * * *', statement_timeout_seconds: 600 },
  freshness: { max_data_age_minutes: 30, max_refresh_age_minutes: 15 },
  health: {
    weights: { success_rate: 40, latency: 25, cost: 20, freshness: 15 },
    success_rate: { slo: 0.99, floor: 0.9 },
    latency_p95_ms: { default: 20000, content: 15000, images: 30000, video: 240000 },
    cost: { over_budget_zero: 1.5, baseline_ok: 1.2, baseline_zero: 2 },
    freshness: { zero_at: 4 },
  },
  budget: { monthly_usd: null },
  panels: {},
  reports: {
    daily: {
      period: 'day',
      timezone: 'UTC',
      top_models: 8,
      schedule: '0 9 * * *',
      sections: ['kpis', 'health', 'movers', 'operations', 'models', 'data_quality'],
      charts: [
        'daily_cost_by_provider',
        'requests_and_success_rate',
        'p95_by_service_type',
        'top_models_by_cost',
        'provider_comparison',
        'health_components',
      ],
      routes: { slack: ['#ai-usage'], email: ['ai-team@example.com'] },
    },
    weekly: {
      period: 'week',
      timezone: 'UTC',
      top_models: 8,
      schedule: '0 9 * * 1',
      sections: ['kpis', 'health', 'movers', 'models', 'users', 'finance', 'data_quality'],
      charts: [
        'daily_cost_by_provider',
        'requests_and_success_rate',
        'top_models_by_cost',
        'month_to_date_vs_budget',
        'health_components',
      ],
      routes: { slack: [], email: ['stakeholders@example.com'] },
    },
  },
  email: { from: 'pulsebot <pulsebot@example.com>', reply_to: null, max_connections: 3, max_messages: 100 },
  slack: { upload_charts: true, timeout_seconds: 20 },
  delivery: {
    max_attempts: 6,
    backoff_base_seconds: 30,
    backoff_max_seconds: 3600,
    inline_retry_seconds: 60,
    failure_routes: { slack: [], email: [] },
  },
  alerts: {
    evaluate_schedule: '*/15 * * * * *',
    timezone: 'UTC',
    maintenance_windows: [],
    slack_responders: [],
    rules: {
      success_rate: {
        metric: 'success_rate',
        scope: 'all',
        window_minutes: 15,
        min_requests: 50,
        pending_minutes: 0,
        recovery: 0.97,
        repeat_minutes: 60,
        no_data: 'keep',
        severity: 'critical',
        runbook_url: null,
        enabled: true,
        condition: { type: 'threshold', op: '<', value: 0.95 },
        routes: { slack: ['#ai-oncall'], email: ['oncall@example.com'] },
      },
      provider_success_rate: {
        metric: 'success_rate',
        scope: 'provider',
        window_minutes: 10,
        min_requests: 20,
        pending_minutes: 5,
        recovery: 0.9,
        repeat_minutes: 120,
        no_data: 'keep',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'threshold', op: '<', value: 0.8 },
        routes: { slack: ['#ai-alerts'], email: [] },
      },
      cost_vs_baseline: {
        metric: 'cost_usd',
        scope: 'all',
        window_minutes: 'today',
        min_requests: 200,
        pending_minutes: 30,
        recovery: 1.3,
        repeat_minutes: null,
        no_data: 'keep',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 1.5 },
        routes: { slack: ['#ai-alerts'], email: [] },
      },
      p95_latency: {
        metric: 'p95_latency_ms',
        scope: 'service_type',
        window_minutes: 60,
        min_requests: 50,
        pending_minutes: 10,
        recovery: 1.5,
        repeat_minutes: 240,
        no_data: 'keep',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 2 },
        routes: { slack: ['#ai-alerts'], email: [] },
      },
      no_new_rows: {
        metric: 'minutes_since_newest_row',
        scope: 'all',
        window_minutes: null,
        min_requests: 0,
        pending_minutes: 0,
        recovery: null,
        repeat_minutes: 240,
        no_data: 'alert',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'threshold', op: '>', value: 30 },
        routes: { slack: ['#ai-alerts'], email: [] },
      },
      refresh_stale: {
        metric: 'refresh_age_minutes',
        scope: 'all',
        window_minutes: null,
        min_requests: 0,
        pending_minutes: 5,
        recovery: null,
        repeat_minutes: 240,
        no_data: 'alert',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'threshold', op: '>', value: 10 },
        routes: { slack: ['#ai-alerts'], email: [] },
      },
      delivery_failures: {
        metric: 'delivery_failures',
        scope: 'all',
        window_minutes: 60,
        min_requests: 0,
        pending_minutes: 10,
        recovery: null,
        repeat_minutes: 240,
        no_data: 'ok',
        severity: 'warning',
        runbook_url: null,
        enabled: true,
        condition: { type: 'threshold', op: '>', value: 0 },
        routes: { slack: ['#ai-alerts'], email: ['ai-team@example.com'] },
      },
    },
  },
  daemon: { catch_up_grace_minutes: 360, deliver_schedule: '*/30 * * * * *', shutdown_timeout_seconds: 20 },
};

const FILE = 'pulsebot.yaml';

function errorOf(fn: () => unknown): PulsebotError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PulsebotError);
    return error as PulsebotError;
  }
  throw new Error('expected an error, but the call succeeded');
}

function parseText(text: string, env: NodeJS.ProcessEnv = {}): PulsebotConfig {
  return parseConfigText(text, FILE, env);
}

function invalid(text: string, env: NodeJS.ProcessEnv = {}): PulsebotError {
  const error = errorOf(() => parseText(text, env));
  expect(error.code).toBe('CONFIG_INVALID');
  expect(error.message.startsWith(`${FILE}: `)).toBe(true);
  return error;
}

/** Every key path of a nested object, e.g. `database.pool_max`. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe('config/pulsebot.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('parses, and its values are the built-in defaults', () => {
    expect(parseConfigText(text, EXAMPLE, {})).toEqual(DEFAULTS);
    expect(defaultConfig()).toEqual(DEFAULTS);
  });

  it('spells out every key of the schema (none left implicit)', () => {
    expect(keyPaths(parse(text)).sort()).toEqual(keyPaths(DEFAULTS).sort());
    expect(keyPaths(defaultConfig()).sort()).toEqual(keyPaths(DEFAULTS).sort());
  });

  it('documents each key with its default in a comment', () => {
    for (const path of keyPaths(DEFAULTS)) {
      // Walk down the nesting: each level is indented two more spaces than its parent.
      let at = 0;
      path.split('.').forEach((key, depth) => {
        const found = text.slice(at).search(new RegExp(`^${' '.repeat(2 * depth)}${key}:`, 'm'));
        expect(found, path).toBeGreaterThanOrEqual(0);
        at += found;
      });
      // The comment block right above the key ends with "Default: …".
      const before = text.slice(0, at).trimEnd().split('\n').pop()!;
      expect(before, path).toMatch(/^\s+# Default: /);
    }
  });

  it('explains location, substitution, strictness and secrets in the top comment', () => {
    const header = text.slice(0, text.indexOf('\ndashboard:'));
    for (const needle of [
      'PULSEBOT_CONFIG',
      'config/pulsebot.yaml',
      'defaults',
      '${NAME}',
      '${NAME:-fallback}',
      '$${',
      'unknown key',
      'DATABASE_URL',
      'SLACK_BOT_TOKEN',
      'SMTP_URL',
    ]) {
      expect(header, needle).toContain(needle);
    }
  });
});

describe('parseConfigText', () => {
  it('gives the defaults for an empty file or one holding only comments', () => {
    expect(parseText('')).toEqual(DEFAULTS);
    expect(parseText('# nothing set yet\n')).toEqual(DEFAULTS);
  });

  it('fills in defaults around the keys that are set', () => {
    expect(parseText('dashboard:\n  timezone: Europe/Berlin\nfreshness:\n  max_data_age_minutes: 90\n')).toEqual({
      ...DEFAULTS,
      dashboard: { timezone: 'Europe/Berlin', url: null, readers: [] },
      freshness: { max_data_age_minutes: 90, max_refresh_age_minutes: 15 },
    });
  });

  describe('unknown keys', () => {
    it('at the top level names the key', () => {
      const e = invalid('refersh:\n  schedule: "*/5 * * * *"\n');
      expect(e.message).toBe(
        'pulsebot.yaml: refersh: unknown key (check the spelling against config/pulsebot.example.yaml)',
      );
    });

    it('nested names the full dotted key', () => {
      const e = invalid('refresh:\n  schedulee: "*/5 * * * *"\n');
      expect(e.message).toContain('refresh.schedulee: unknown key');
    });

    it('reports every problem: the first in the message, the others in the hint', () => {
      const e = invalid('database:\n  pool_maxx: 3\nfreshness:\n  max_data_age_minutes: 0\n');
      expect(e.message).toContain('database.pool_maxx: unknown key');
      expect(e.hint).toContain('also pulsebot.yaml: freshness.max_data_age_minutes');
    });
  });

  describe('secret-like keys', () => {
    it.each([
      ['slack_token: xoxb-111-s3cr3t\n', 'slack_token'],
      ['database:\n  password: s3cr3t\n', 'database.password'],
      ['dashboard:\n  api_key: s3cr3t\n', 'dashboard.api_key'],
    ])('%j is rejected with a hint to use the environment', (text, key) => {
      const e = invalid(text);
      expect(e.message).toBe(
        `pulsebot.yaml: ${key}: secrets are not read from the config file; set them in the environment (DATABASE_URL, SLACK_BOT_TOKEN, SMTP_URL)`,
      );
      // The value itself is never echoed.
      expect(`${e.message}\n${e.hint ?? ''}`).not.toContain('s3cr3t');
    });
  });

  describe('values', () => {
    it('a bad time zone names the key and echoes the value', () => {
      const e = invalid('dashboard:\n  timezone: Mars/Olympus_Mons\n');
      expect(e.message).toContain('dashboard.timezone: ');
      expect(e.message).toContain('"Mars/Olympus_Mons"');
    });

    it('accepts IANA names other than UTC', () => {
      expect(parseText('dashboard:\n  timezone: America/New_York\n').dashboard.timezone).toBe('America/New_York');
    });

    it('a bad cron expression names the key', () => {
      const e = invalid('refresh:\n  schedule: every five minutes\n');
      expect(e.message).toContain('refresh.schedule: expected a cron expression');
      expect(e.message).toContain('"every five minutes"');
    });

    it('a dashboard url must be http(s)', () => {
      const e = invalid('dashboard:\n  url: ftp://dash.example.com\n');
      expect(e.message).toContain('dashboard.url: expected an http(s) URL');
      expect(parseText('dashboard:\n  url: https://dash.example.com/d/1\n').dashboard.url).toBe(
        'https://dash.example.com/d/1',
      );
    });

    it.each([
      ['2.5', 'pool_max', 'a pool size: a whole number from 1 to 100, got 2.5'],
      ['-3', 'pool_max', 'a pool size: a whole number from 1 to 100, got -3'],
      ['0', 'pool_max', 'a pool size: a whole number from 1 to 100, got 0'],
      ['101', 'pool_max', 'a pool size: a whole number from 1 to 100, got 101'],
      ['"30m"', 'connect_timeout_seconds', 'a number of seconds: a whole number from 1 to 300 (5 minutes), got "30m"'],
      ['""', 'statement_timeout_seconds', 'a number of seconds: a whole number from 1 to 86400 (a day), got ""'],
      ['true', 'statement_timeout_seconds', 'a number of seconds: a whole number from 1 to 86400 (a day), got true'],
    ])('%s is refused as database.%s, in one message giving the range', (value, key, expected) => {
      const e = invalid(`database:\n  ${key}: ${value}\n`);
      expect(e.message).toBe(`pulsebot.yaml: database.${key}: expected ${expected}`);
      expect(e.hint).toBeUndefined();
    });

    it('a quoted number is accepted as a number', () => {
      expect(parseText('database:\n  pool_max: "7"\n').database.pool_max).toBe(7);
    });
  });

  describe('environment substitution', () => {
    it('a number from ${VAR} becomes a number', () => {
      const config = parseText('freshness:\n  max_data_age_minutes: ${PB_AGE}\n', { PB_AGE: '30' });
      expect(config.freshness.max_data_age_minutes).toBe(30);
      expect(parseText('database:\n  pool_max: ${PB_POOL}\n', { PB_POOL: '12' }).database.pool_max).toBe(12);
    });

    it('a variable that is not a number is still rejected, naming the key', () => {
      const e = invalid('database:\n  pool_max: ${PB_POOL}\n', { PB_POOL: '12 connections' });
      expect(e.message).toContain('database.pool_max: expected');
    });

    it('substitutes inside a longer string', () => {
      const config = parseText('dashboard:\n  url: https://${PB_HOST}/d/${PB_ID}\n', {
        PB_HOST: 'grafana.example.com',
        PB_ID: '42',
      });
      expect(config.dashboard.url).toBe('https://grafana.example.com/d/42');
    });

    it('a missing variable without fallback names the key and the variable', () => {
      const e = invalid('freshness:\n  max_data_age_minutes: ${PB_MISSING_AGE}\n');
      expect(e.message).toBe(
        'pulsebot.yaml: freshness.max_data_age_minutes: environment variable PB_MISSING_AGE is not set',
      );
      expect(e.hint).toContain('${PB_MISSING_AGE:-default}');
    });

    it('an empty variable counts as unset', () => {
      const e = invalid('dashboard:\n  timezone: ${PB_TZ}\n', { PB_TZ: '' });
      expect(e.message).toContain('dashboard.timezone: environment variable PB_TZ is not set');
      expect(parseText('dashboard:\n  timezone: ${PB_TZ:-Europe/Paris}\n', { PB_TZ: '' }).dashboard.timezone).toBe(
        'Europe/Paris',
      );
    });

    it('the fallback is used when the variable is unset, and ignored when it is set', () => {
      const text = 'refresh:\n  schedule: ${PB_SCHEDULE:-*/10 * * * *}\n  statement_timeout_seconds: ${PB_RT:-900}\n';
      expect(parseText(text).refresh).toEqual({ schedule: '*/10 * * * *', statement_timeout_seconds: 900 });
      expect(parseText(text, { PB_SCHEDULE: '0 * * * *', PB_RT: '120' }).refresh).toEqual({
        schedule: '0 * * * *',
        statement_timeout_seconds: 120,
      });
    });

    it('$${ stays a literal ${, even when a variable of that name exists', () => {
      const config = parseText('dashboard:\n  url: https://dash.example.com/$${team}\n', { team: 'ops' });
      expect(config.dashboard.url).toBe('https://dash.example.com/${team}');
    });

    it('the substituted value is validated like a written one, and named by its variable, not echoed', () => {
      const e = invalid('dashboard:\n  timezone: ${PB_TZ}\n', { PB_TZ: 'Atlantis/Central' });
      expect(e.message).toBe(
        'pulsebot.yaml: dashboard.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC" (the value of ${PB_TZ})',
      );
    });
  });

  describe('YAML problems', () => {
    it('a syntax error gives the line number', () => {
      const e = invalid('dashboard:\n  timezone: UTC\n url: https://x.example.com\n');
      expect(e.message).toContain('not valid YAML (line 3');
    });

    it('a duplicate key is an error, top level and nested', () => {
      const top = invalid('refresh:\n  schedule: "*/5 * * * *"\nrefresh:\n  schedule: "*/1 * * * *"\n');
      expect(top.message).toContain('line 3');
      expect(top.message).toMatch(/unique/i);
      const nested = invalid('database:\n  pool_max: 2\n  pool_max: 3\n');
      expect(nested.message).toContain('line 3');
    });

    it('the top level must be a mapping', () => {
      expect(invalid('- dashboard\n- refresh\n').message).toBe(
        'pulsebot.yaml: expected a mapping of keys at the top level',
      );
      expect(invalid('just some words\n').message).toBe('pulsebot.yaml: expected a mapping of keys at the top level');
    });
  });
});

describe('substituteEnv', () => {
  it('walks nested objects and arrays and leaves non-strings alone', () => {
    const out = substituteEnv({ a: '${X}', b: ['${Y:-y}', 3, true, null], c: { d: 'pre-${X}-post' } }, [], FILE, {
      X: 'x',
    });
    expect(out).toEqual({ a: 'x', b: ['y', 3, true, null], c: { d: 'pre-x-post' } });
  });

  it('does not substitute again inside a substituted value', () => {
    expect(substituteEnv('${OUTER}', [], FILE, { OUTER: '${INNER}', INNER: 'no' })).toBe('${INNER}');
  });

  it('names array positions in the key of a missing variable', () => {
    const e = errorOf(() => substituteEnv({ list: ['ok', '${PB_NOPE}'] }, [], FILE, {}));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('pulsebot.yaml: list[1]: environment variable PB_NOPE is not set');
  });

  it('leaves a lone $ and an unclosed ${ as they are', () => {
    expect(substituteEnv('costs $5 and ${ more', [], FILE, {})).toBe('costs $5 and ${ more');
  });
});

describe('loadConfig', () => {
  let dir: string;
  let cwd: string;
  let withPool7: string;
  let withPool9: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-config-'));
    withPool7 = join(dir, 'pool7.yaml');
    withPool9 = join(dir, 'pool9.yaml');
    writeFileSync(withPool7, 'database:\n  pool_max: 7\n');
    writeFileSync(withPool9, 'database:\n  pool_max: 9\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The default location is relative to the working directory: run each test in an empty one.
  beforeEach(() => {
    cwd = process.cwd();
    const work = mkdtempSync(join(dir, 'cwd-'));
    process.chdir(work);
  });
  afterEach(() => process.chdir(cwd));

  it('uses the built-in defaults when no file is named and config/pulsebot.yaml is absent', () => {
    expect(loadConfig({ env: {} })).toEqual({ config: DEFAULTS, source: null });
    // An empty PULSEBOT_CONFIG counts as unset.
    expect(loadConfig({ env: { PULSEBOT_CONFIG: '' } })).toEqual({ config: DEFAULTS, source: null });
  });

  it('reads config/pulsebot.yaml from the working directory when present', () => {
    mkdirSync('config');
    writeFileSync('config/pulsebot.yaml', 'freshness:\n  max_refresh_age_minutes: 20\n');
    const loaded = loadConfig({ env: {} });
    expect(loaded.source).toBe('config/pulsebot.yaml');
    expect(loaded.config.freshness.max_refresh_age_minutes).toBe(20);
  });

  it('a named file that does not exist is CONFIG_NOT_FOUND, from the flag or from PULSEBOT_CONFIG', () => {
    const missing = join(dir, 'nope.yaml');
    const fromFlag = errorOf(() => loadConfig({ path: missing, env: {} }));
    expect(fromFlag.code).toBe('CONFIG_NOT_FOUND');
    expect(fromFlag.message).toBe(`config file ${missing} does not exist`);
    const fromEnv = errorOf(() => loadConfig({ env: { PULSEBOT_CONFIG: missing } }));
    expect(fromEnv.code).toBe('CONFIG_NOT_FOUND');
    expect(fromEnv.message).toContain(missing);
  });

  it('a named file that is missing does not fall back to config/pulsebot.yaml', () => {
    mkdirSync('config');
    writeFileSync('config/pulsebot.yaml', '');
    expect(errorOf(() => loadConfig({ path: 'other.yaml', env: {} })).code).toBe('CONFIG_NOT_FOUND');
  });

  it('uses PULSEBOT_CONFIG when no path is given', () => {
    const loaded = loadConfig({ env: { PULSEBOT_CONFIG: withPool7 } });
    expect(loaded.source).toBe(withPool7);
    expect(loaded.config.database.pool_max).toBe(7);
  });

  it('the flag wins over PULSEBOT_CONFIG', () => {
    const loaded = loadConfig({ path: withPool9, env: { PULSEBOT_CONFIG: withPool7 } });
    expect(loaded.source).toBe(withPool9);
    expect(loaded.config.database.pool_max).toBe(9);
    // PULSEBOT_CONFIG is not even looked at, so a missing file there does not matter.
    expect(
      loadConfig({ path: withPool9, env: { PULSEBOT_CONFIG: join(dir, 'nope.yaml') } }).config.database.pool_max,
    ).toBe(9);
  });

  it('substitutes from the env it is given and names the file in errors', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, 'database:\n  pool_max: ${PB_POOL_FROM_ENV}\n');
    expect(loadConfig({ path: file, env: { PB_POOL_FROM_ENV: '5' } }).config.database.pool_max).toBe(5);
    const e = errorOf(() => loadConfig({ path: file, env: {} }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${file}: database.pool_max: environment variable PB_POOL_FROM_ENV is not set`);
  });
});
