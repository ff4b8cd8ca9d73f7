import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processEntry } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type LogRecord = Record<string, unknown>;

/** `pulsebot run` as a real process (the sources, transpiled once per run), its JSON log read line by line. */
export interface DaemonProcess {
  child: ChildProcess;
  records: LogRecord[];
  stderr: () => string;
  /** The first log record that satisfies `match`, waiting for it up to `timeoutMs`. */
  waitFor(what: string, match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  port(): Promise<number>;
}

/** `compiled`: run dist/ through bin/pulsebot.js as installed users do (build first), not the test run's transpiled sources. */
export function spawnDaemon(env: Record<string, string>, opts: { compiled?: boolean } = {}): DaemonProcess {
  const args = opts.compiled ? [`${ROOT}bin/pulsebot.js`, 'run'] : [processEntry('src/cli.ts'), 'run'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      PULSEBOT_CONFIG: '',
      DEBUG: '',
      PULSEBOT_PORT: '0',
      SLACK_BOT_TOKEN: '',
      SMTP_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: LogRecord[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as LogRecord);
      } catch {
        records.push({ unparsed: line });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      for (const w of waiters) w();
      resolve(code);
    }),
  );

  const waitFor = (what: string, match: (r: LogRecord) => boolean, timeoutMs = 60_000) =>
    new Promise<LogRecord>((resolve, reject) => {
      const check = () => {
        const found = records.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(
              `daemon exited (${child.exitCode ?? child.signalCode}) before ${what}; stderr: ${stderr.slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}; last log: ${JSON.stringify(records.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    records,
    stderr: () => stderr,
    waitFor,
    exited,
    port: async () => Number((await waitFor('daemon.started', (r) => r.event === 'daemon.started')).port),
  };
}
