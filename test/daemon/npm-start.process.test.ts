import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEntry } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';

/**
 * `npm start` under a supervisor: the supervisor signals npm's pid. npm passes SIGTERM to the
 * script's process; the daemon must be that process (not a shell that keeps the signal to itself),
 * drain, log it, and exit, leaving no orphan behind.
 *
 * The package is laid out as installed: its package.json and bin/pulsebot.js, with dist/ being
 * the test run's transpiled sources (so no `npm run build` is needed in the shared tree).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type LogRecord = Record<string, unknown>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('npm start', () => {
  let env: FreshEnvironment;
  let dir: string;
  let daemonPid: number | undefined;

  beforeAll(async () => {
    env = await freshEnvironment('pglite');
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-npm-start-'));
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    copyFileSync(join(ROOT, 'bin/pulsebot.js'), join(pkg, 'bin/pulsebot.js'));
    symlinkSync(dirname(processEntry('src/cli.ts')), join(pkg, 'dist'));
    writeFileSync(join(dir, 'pulsebot.yaml'), 'refresh:\n  schedule: "*/2 * * * * *"\n');
  });
  afterAll(async () => {
    if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    await env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM to npm reaches the daemon: it drains, logs it, and exits with npm; no process is left', async () => {
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: join(dir, 'pkg'),
      env: {
        ...process.env,
        DATABASE_URL: '',
        DEBUG: '',
        SLACK_BOT_TOKEN: '',
        SMTP_URL: '',
        PULSEBOT_PORT: '0',
        PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
        PULSEBOT_OUTBOX_DIR: join(dir, 'outbox'),
        ...env.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const records: LogRecord[] = [];
    let stderr = '';
    let partial = '';
    const listeners = new Set<() => void>();
    npm.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          records.push(JSON.parse(line) as LogRecord);
        } catch {
          // npm's own lines, if any
        }
      }
      for (const l of listeners) l();
    });
    npm.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const npmExited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    const waitFor = (what: string, match: (r: LogRecord) => boolean) =>
      new Promise<LogRecord>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`)), 60_000);
        const check = () => {
          const found = records.find(match);
          if (!found) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(found);
        };
        listeners.add(check);
        check();
      });

    try {
      const started = await waitFor('daemon.started', (r) => r.event === 'daemon.started');
      // The instance id is host:pid:random; the pid is the daemon's node process.
      daemonPid = Number(/:(\d+):[0-9a-f]+$/.exec(String(started.instance))?.[1]);
      expect(daemonPid).toBeGreaterThan(0);
      await waitFor('a refresh run', (r) => r.event === 'job.finished' && r.job === 'refresh');

      npm.kill('SIGTERM');
      expect(await waitFor('daemon.shutdown', (r) => r.event === 'daemon.shutdown')).toMatchObject({
        signal: 'SIGTERM',
      });
      await waitFor('daemon.stopped', (r) => r.event === 'daemon.stopped');
      await npmExited;

      const deadline = Date.now() + 30_000;
      while (alive(daemonPid)) {
        if (Date.now() > deadline) throw new Error(`the daemon (pid ${daemonPid}) outlived npm`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
