import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import { PulsebotError, exitCodeFor } from '../../src/errors.js';

/**
 * The loader as the CLI calls it (loadConfig on a file), fed generated YAML: every key of the
 * schema, and keys it does not have, set to values of every wrong type and size. Whatever the
 * document, the loader returns a config or throws the error that maps to exit 2, on one line and
 * without the environment's secret; never anything else. A fixed seed keeps every run the same.
 */

const SEED = 0x26c0f1;
const DOCUMENTS = 800;
const SECRET = 'fuzz-s3cr3t-9f8e7d';
const ENV = { FUZZ_SECRET: SECRET, FUZZ_NUM: '42', FUZZ_ZONE: 'Europe/Berlin' };

/** mulberry32: a small seeded generator, so a failure names a document that can be made again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Path = (string | number)[];

/** Every key path of a value, lists included (`alerts.rules.success_rate.routes.slack.0`). */
function keyPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => keyPaths(v, [...prefix, k]))];
}

const DEFAULTS: unknown = defaultConfig();

function valueAt(root: unknown, path: Path): unknown {
  let at = root;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at === undefined ? null : structuredClone(at);
}

// The schema's keys, as the defaults spell them out, and the keys of entries the defaults do not have.
const SCHEMA_PATHS: Path[] = [
  ...keyPaths(DEFAULTS).filter((p) => p.length > 0),
  ...['sql', 'spec', 'timeout_seconds'].map((k) => ['panels', 'mine', k]),
  ...['period', 'timezone', 'top_models', 'schedule', 'sections', 'charts', 'routes'].map((k) => [
    'reports',
    'mine',
    k,
  ]),
  ...['name', 'start', 'end', 'cron', 'duration_minutes', 'timezone', 'rules'].map((k) => [
    'alerts',
    'maintenance_windows',
    0,
    k,
  ]),
  ...['metric', 'window_minutes', 'condition', 'recovery', 'enabled'].map((k) => ['alerts', 'rules', 'mine', k]),
];

const STRINGS = [
  '',
  ' ',
  'UTC',
  'Mars/Olympus',
  '#ai-usage',
  '#AI-Usage',
  'ai-usage',
  'C0123ABCD',
  'team@example.com',
  'postgres://user:password@host',
  'pulsebot <pulsebot@example.com>',
  'not an address',
  '*/5 * * * *',
  '0 0 30 2 *',
  '0 0 0 1 1 * 2030',
  '61 25 * * *',
  '@reboot',
  'today',
  'day',
  'month',
  'threshold',
  'change',
  'baseline_4w',
  '<',
  '>=',
  'https://dash.example.com',
  'https://user:pw@dash.example.com',
  'ftp://x',
  '2026-03-28T22:00:00Z',
  '2026-02-30T25:00:00Z',
  '${FUZZ_SECRET}',
  '${FUZZ_NUM}',
  '${FUZZ_ZONE}',
  'x-${FUZZ_SECRET}-y',
  '${FUZZ_UNSET}',
  '${FUZZ_UNSET:-7}',
  '$${FUZZ_SECRET}',
  '${',
  '30',
  '-1',
  '1e999',
  '0x10',
  '__proto__',
  'constructor',
  'toString',
  'kpis',
  'daily_cost_by_provider',
  'select 1',
  '\u0000\u202e\ud83d\ude00',
];

const NUMBERS = [
  0,
  1,
  -1,
  0.5,
  2.5,
  59,
  60,
  100,
  101,
  3600,
  86_401,
  2 ** 31,
  2 ** 53 + 2,
  1e300,
  -1e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
];

const KEYS = ['period', 'routes', 'slack', 'email', 'enabled', 'unknown_key', 'Daily', '__proto__', 'a.b', '0', ''];

function generator(next: () => number) {
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

  function text(): string {
    const r = next();
    if (r < 0.7) return pick(STRINGS);
    if (r < 0.8) return 'x'.repeat(1 + int(3000));
    return Array.from({ length: int(20) }, () => String.fromCharCode(int(0x3000))).join('');
  }

  function value(depth: number): unknown {
    const r = next();
    if (r < 0.35) return text();
    if (r < 0.6) return pick(NUMBERS);
    if (r < 0.67) return null;
    if (r < 0.72) return next() < 0.5;
    if (depth >= 3) return text();
    if (r < 0.86) return Array.from({ length: int(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(KEYS), value(depth + 1)]));
  }

  /** Sets a value at a path, turning whatever is on the way into the mapping or list it needs. */
  function setAt(doc: Record<string, unknown>, path: Path, v: unknown): void {
    let at: Record<string | number, unknown> = doc;
    path.forEach((key, i) => {
      if (i === path.length - 1) {
        at[key] = v;
        return;
      }
      const child = at[key];
      const wantList = typeof path[i + 1] === 'number';
      if (child === null || typeof child !== 'object' || Array.isArray(child) !== wantList)
        at[key] = wantList ? [] : {};
      at = at[key] as Record<string | number, unknown>;
    });
  }

  /** A document: a few schema keys set to something, maybe an unknown key, maybe damaged YAML text. */
  function document(): string {
    const doc: Record<string, unknown> = {};
    const changes = 1 + int(6);
    for (let i = 0; i < changes; i++) {
      const path = pick(SCHEMA_PATHS);
      // Mostly garbage; sometimes the default's own value, so that some documents load.
      const v = next() < 0.4 ? valueAt(DEFAULTS, path) : value(0);
      setAt(doc, next() < 0.05 ? [...path, pick(KEYS)] : path, v);
    }
    let yaml = next() < 0.05 ? stringify(value(0)) : stringify(doc);
    if (next() < 0.15) {
      const at = int(yaml.length + 1);
      const damage = pick([
        '',
        ':',
        '- ',
        '[',
        '{',
        '&a ',
        '*a',
        '!!binary ',
        '\t',
        '? ',
        '<<: *a\n',
        '"',
        '%YAML 9\n',
      ]);
      yaml = yaml.slice(0, at) + damage + yaml.slice(at + int(5));
    }
    return yaml;
  }

  return { document };
}

/** Every number in a loaded config is finite, and no `_seconds` value is beyond what a timer holds. */
function checkLoaded(value: unknown, path: string): void {
  if (typeof value === 'number') {
    expect(Number.isFinite(value), path).toBe(true);
    if (path.endsWith('_seconds')) expect(value * 1000, path).toBeLessThanOrEqual(2 ** 31 - 1);
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) checkLoaded(v, `${path}.${k}`);
  }
}

describe('config fuzzer: any YAML gives a config or a configuration error (exit 2)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-config-fuzz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${DOCUMENTS} generated documents, seed ${SEED.toString(16)}`, () => {
    const { document } = generator(random(SEED));
    const file = join(dir, 'pulsebot.yaml');
    let loaded = 0;
    let refused = 0;
    for (let n = 0; n < DOCUMENTS; n++) {
      const yaml = document();
      writeFileSync(file, yaml);
      let outcome: unknown;
      try {
        outcome = loadConfig({ path: file, env: ENV }).config;
      } catch (error) {
        outcome = error;
      }
      const where = `document ${n}:\n${yaml.slice(0, 2000)}`;
      if (outcome instanceof Error) {
        // Anything but the configuration error shows its own stack trace in the failure.
        if (!(outcome instanceof PulsebotError)) throw outcome;
        expect(exitCodeFor(outcome), where).toBe(2);
        expect(outcome.message, `${where}\n${JSON.stringify(outcome.message)}`).not.toContain('\n');
        expect(outcome.message.startsWith(`${file}: `), where).toBe(true);
        expect(`${outcome.message}\n${outcome.hint ?? ''}`, where).not.toContain(SECRET);
        refused++;
      } else {
        checkLoaded(outcome, '');
        loaded++;
      }
    }
    // The generator is not so wild that nothing loads, nor so tame that nothing is refused.
    expect(loaded).toBeGreaterThan(DOCUMENTS / 50);
    expect(refused).toBeGreaterThan(DOCUMENTS / 2);
  });
});
