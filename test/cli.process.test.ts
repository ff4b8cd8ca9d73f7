import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './support/cli.js';
import { freshEnvironment, type FreshEnvironment } from './support/databases.js';

/** A stack frame as Node prints it ("    at fn (file:line:col)"). */
const STACK_FRAME = /^\s+at \S/m;

const PASSWORD = 's3cr3t-pw';

let dir: string;
let work: string;
let badConfig: string;
/** Where an embedded database would go if a run that must fail early got as far as opening one. */
let strayDataDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-cli-'));
  work = join(dir, 'work');
  mkdirSync(work);
  strayDataDir = join(dir, 'stray-data');
  badConfig = join(dir, 'bad.yaml');
  writeFileSync(badConfig, 'refresh:\n  schedulee: "*/5 * * * *"\n');
});

afterAll(() => {
  // None of the runs without a database of their own may have opened one.
  expect(existsSync(strayDataDir)).toBe(false);
  expect(existsSync(join(work, 'data'))).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in a scratch working directory, away from the repository's config/ and data/. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: work, env: { PULSEBOT_DATA_DIR: strayDataDir, ...env } });
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe.concurrent('usage', () => {
  it('--help exits 0 and lists the commands', async ({ expect }) => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['migrate', 'seed-demo', 'refresh', 'doctor']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    expect(r.stdout).toContain('--config');
  });

  it("each command's --help exits 0 and shows its usage", async ({ expect }) => {
    const commands = ['migrate', 'seed-demo', 'refresh', 'doctor'];
    const results = await Promise.all(commands.map((c) => cli([c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toContain(`Usage: pulsebot ${commands[i]} `);
    });
    expect(results[1]!.stdout).toContain('--days <n>');
  });

  it('no arguments: usage on stderr, exit 2', async ({ expect }) => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: pulsebot');
    expect(r.stdout).toBe('');
  });

  it('an unknown command exits 2 and names it', async ({ expect }) => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it.for(['0', 'abc'])('seed-demo --days %s exits 2 and names --days', async (value, { expect }) => {
    const r = await cli(['seed-demo', '--days', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--days');
    expect(r.stderr).toContain(`'${value}'`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});

describe.concurrent('configuration errors', () => {
  it('an unknown key in the file named by --config: exit 2, one line naming the key, no stack', async ({ expect }) => {
    const r = await cli(['--config', badConfig, 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `pulsebot: ${badConfig}: refresh.schedulee: unknown key (check the spelling against config/pulsebot.example.yaml)`,
    ]);
    expect(r.stdout).toBe('');
  });

  it('the same through PULSEBOT_CONFIG (doctor does not swallow it)', async ({ expect }) => {
    const r = await cli(['doctor'], { PULSEBOT_CONFIG: badConfig });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('refresh.schedulee');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('DEBUG=1 adds the stack trace', async ({ expect }) => {
    const r = await cli(['--config', badConfig, 'refresh'], { DEBUG: '1' });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe(
      `pulsebot: ${badConfig}: refresh.schedulee: unknown key (check the spelling against config/pulsebot.example.yaml)`,
    );
    expect(r.stderr).toMatch(STACK_FRAME);
  });

  it('--config naming a missing file exits 2', async ({ expect }) => {
    const r = await cli(['--config', '/nonexistent.yaml', 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe('pulsebot: config file /nonexistent.yaml does not exist');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('an unreachable DATABASE_URL exits 1, names host:port and never shows the password', async ({ expect }) => {
    const r = await cli(['migrate'], { DATABASE_URL: `postgres://u:${PASSWORD}@127.0.0.1:1/db` });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)[0]).toContain('127.0.0.1:1');
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });
});

describe('on a fresh embedded database', () => {
  let fresh: FreshEnvironment;
  let cwd: string;

  beforeAll(async () => {
    fresh = await freshEnvironment('pglite', { migrated: false });
    cwd = mkdtempSync(join(dir, 'db-cwd-'));
  });
  afterAll(async () => {
    await fresh?.cleanup();
  });

  const run = (args: string[]) => runCli(args, { env: fresh.env, cwd });

  it('migrate applies the migrations', async () => {
    const r = await run(['migrate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^applied 000001_/m);
    expect(r.stdout).toContain('migration(s) applied, up to date');
  });

  it('migrate again changes nothing and says so', async () => {
    const r = await run(['migrate']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('applied 0');
    expect(r.stdout).toContain('already up to date');
  });

  it('refresh refreshes the three views', async () => {
    const r = await run(['refresh']);
    expect(r.code).toBe(0);
    for (const view of ['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs']) {
      expect(r.stdout).toMatch(new RegExp(`^✓ ${view} `, 'm'));
    }
  });

  it('doctor fails because api_usage is empty, and says so on a ✗ line', async () => {
    const r = await run(['doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ .*empty/m);
    expect(r.stdout).toMatch(/^✓ migrations /m);
    expect(r.stdout).not.toMatch(/^✗ (migrations|view |refresh )/m);
  });

  it('used the data directory from the environment, not ./data', () => {
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    expect(existsSync(fresh.env.PULSEBOT_DATA_DIR!)).toBe(true);
  });
});
