import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from './daemon/prometheus-text.js';
import { processEntry } from './support/cli.js';
import { freshEnvironment, type FreshEnvironment } from './support/databases.js';

/**
 * `pulsebot … | head -1`: the reader goes away and the pipe closes under pulsebot's stdout. The
 * command must go on quietly, keep its work, and exit with its usual code: no `write EPIPE`
 * stack trace, no crash.
 */

const STACK_FRAME = /^\s+at \S/m;

let env: FreshEnvironment;
let dir: string;

beforeAll(async () => {
  env = await freshEnvironment('pglite');
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-closed-stdout-'));
});
afterAll(async () => {
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function spawnCli(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [processEntry('src/cli.ts'), ...args], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: '',
      PULSEBOT_CONFIG: '',
      DEBUG: '',
      SLACK_BOT_TOKEN: '',
      SMTP_URL: '',
      PULSEBOT_OUTBOX_DIR: join(dir, 'outbox'),
      ...env.env,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });

describe('a closed stdout', () => {
  it('refresh whose reader is gone before its first line: exit 0, nothing on stderr, the refresh recorded', async () => {
    const child = spawnCli(['refresh']);
    const stderr = collect(child.stderr);
    // The reading end closes: every write of the child now fails with EPIPE.
    child.stdout!.destroy();
    const code = await exitOf(child);
    expect(stderr()).not.toContain('EPIPE');
    expect(stderr()).not.toMatch(STACK_FRAME);
    expect(code, stderr()).toBe(0);

    const db = await env.open();
    try {
      const rows = await db.sql<{ outcome: string }[]>`select outcome from pulsebot.refresh_log`;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.outcome === 'ok')).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('the daemon, its log reader gone after the first lines: it goes on working and stops cleanly on SIGTERM', async () => {
    const config = join(dir, 'run.yaml');
    writeFileSync(config, 'refresh:\n  schedule: "*/2 * * * * *"\n');
    const child = spawnCli(['run'], { PULSEBOT_CONFIG: config, PULSEBOT_PORT: '0' });
    const stderr = collect(child.stderr);
    try {
      // Read up to the line that says where the endpoints are, then close the pipe.
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          const started = text
            .split('\n')
            .map((l) => {
              try {
                return JSON.parse(l) as Record<string, unknown>;
              } catch {
                return null;
              }
            })
            .find((r) => r?.event === 'daemon.started');
          if (started) resolve(Number(started.port));
        });
        child.on('exit', (c) => reject(new Error(`daemon exited (${c}) before starting: ${stderr()}`)));
      });
      child.stdout!.destroy();

      // Two refreshes counted after the pipe closed: the daemon logged into the closed pipe and went on.
      const refreshes = async () => {
        if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}): ${stderr()}`);
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        const samples = parsePrometheusText(await res.text());
        return sampleValue(samples, 'pulsebot_job_runs_total', { job: 'refresh', outcome: 'ok' }) ?? 0;
      };
      const before = await refreshes();
      const deadline = Date.now() + 60_000;
      while ((await refreshes()) < before + 2) {
        if (Date.now() > deadline) throw new Error(`no refresh after stdout closed; stderr: ${stderr()}`);
        await new Promise((r) => setTimeout(r, 200));
      }

      child.kill('SIGTERM');
      const code = await exitOf(child);
      expect(stderr()).not.toContain('EPIPE');
      expect(stderr()).not.toMatch(STACK_FRAME);
      expect(code, stderr()).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
