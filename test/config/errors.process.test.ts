import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';

/**
 * The CLI on configuration files the loader used to crash on, or that leaked a secret: exit 2,
 * exactly one line on stderr naming the key, no stack trace, nothing from the environment echoed.
 */

const STACK_FRAME = /^\s+at \S/m;
const TOKEN = 'xoxb-4242-s3cr3t-token';
const SMTP_URL = 'smtp://mailer:Pw-s3cr3t@smtp.example.com:587';

let dir: string;
let work: string;
let strayDataDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-config-errors-'));
  work = join(dir, 'work');
  mkdirSync(work);
  strayDataDir = join(dir, 'stray-data');
});

afterAll(() => {
  // A config error stops the command before it opens any database.
  const opened = existsSync(strayDataDir);
  rmSync(dir, { recursive: true, force: true });
  if (opened) throw new Error('a run with a bad config opened the embedded database');
});

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: work, env: { PULSEBOT_DATA_DIR: strayDataDir, ...env } });
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe.concurrent('configuration errors from the CLI: exit 2, one line', () => {
  it('a channel with capitals inside reports.daily (it used to crash with exit 1)', async ({ expect }) => {
    const file = configFile('channel.yaml', 'reports:\n  daily:\n    routes:\n      slack: ["#AI-Usage"]\n');
    const r = await cli(['--config', file, 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `pulsebot: ${file}: reports.daily.routes.slack[0]: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD", got "#AI-Usage"`,
    ]);
    expect(r.stdout).toBe('');
  });

  it('a timer no setTimeout can hold', async ({ expect }) => {
    const file = configFile('timeout.yaml', 'daemon:\n  shutdown_timeout_seconds: 99999999999\n');
    const r = await cli(['--config', file, 'run']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `pulsebot: ${file}: daemon.shutdown_timeout_seconds: expected a number of seconds: a whole number from 1 to 3600 (an hour), got 99999999999`,
    ]);
  });

  it('a token and an SMTP URL put in the wrong keys are named, not printed', async ({ expect }) => {
    const file = configFile('secrets.yaml', 'dashboard:\n  timezone: ${SLACK_BOT_TOKEN}\n');
    const r = await cli(['--config', file, 'doctor'], { SLACK_BOT_TOKEN: TOKEN, SMTP_URL });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `pulsebot: ${file}: dashboard.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC" (the value of \${SLACK_BOT_TOKEN})`,
    ]);
    const url = configFile('smtp-url.yaml', 'dashboard:\n  url: ${SMTP_URL}\n');
    // DEBUG=1 adds the stack and the causes: still no secret.
    const debug = await cli(['--config', url, 'doctor'], { SLACK_BOT_TOKEN: TOKEN, SMTP_URL, DEBUG: '1' });
    expect(debug.code).toBe(2);
    expect(lines(debug.stderr)[0]).toBe(
      `pulsebot: ${url}: dashboard.url: expected an http(s) URL (the value of \${SMTP_URL})`,
    );
    for (const out of [r.stderr, r.stdout, debug.stderr, debug.stdout]) {
      expect(out).not.toContain('s3cr3t');
    }
  });

  it('a directory as the config', async ({ expect }) => {
    const r = await cli(['--config', dir, 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`pulsebot: ${dir}: is a directory, expected a YAML file`]);
  });

  it('nested garbage: an alias of a list where a mapping goes', async ({ expect }) => {
    const file = configFile('alias.yaml', 'dashboard:\n  readers: &r [reader]\nhealth:\n  weights: *r\n');
    const r = await cli(['--config', file, 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`pulsebot: ${file}: health.weights: expected a mapping, got a list`]);
  });

  it('several problems: the first on the line, each other one on a line of its own under it, each naming its key', async ({
    expect,
  }) => {
    const file = configFile('garbage.yaml', '? [a, b]\n: 1\nreports:\n  daily:\n    top_models: .nan\n    charts: 7\n');
    const r = await cli(['--config', file, 'migrate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `pulsebot: ${file}: reports.daily.top_models: expected a number of models: a whole number from 1 to 50, got NaN`,
      `  also ${file}: reports.daily.charts: expected a list, got 7`,
      // A mapping used as a key becomes its YAML text, quoted: it is no key pulsebot has.
      `  also ${file}: "[ a, b ]": unknown key (check the spelling against config/pulsebot.example.yaml)`,
    ]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).not.toContain('unexpected error');
  });

  it('a bot token as SLACK_APP_TOKEN stops the daemon before it opens anything, naming the variable', async ({
    expect,
  }) => {
    const r = await cli(['run'], { SLACK_APP_TOKEN: TOKEN, SLACK_BOT_TOKEN: TOKEN, PULSEBOT_PORT: '0' });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe(
      'pulsebot: SLACK_APP_TOKEN must be an app-level token (xapp-…); bot (xoxb-…) and user tokens cannot open Socket Mode',
    );
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
