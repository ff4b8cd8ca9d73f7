import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PulsebotError } from '../errors.js';
import type { TopLevelSpec } from 'vega-lite';
import type { RenderedChart } from '../charts/render.js';
import { asBuffer, fromRemoteError, type RenderJob, type RenderReply, type RenderRequest } from './render-protocol.js';

/**
 * A child process that renders for the daemon, started on demand and let go after `idleMs`
 * without work. Why a process and not a worker thread: vega, vega-lite, sharp (libvips) and mjml
 * take about 60 MB once loaded, and a thread's exit does not give back the native library and
 * allocator memory; a process's exit does. A digest or an alert pays one process start (~0.2 s)
 * plus the library load it paid in-process before; an idle daemon keeps none of it.
 */

export interface RenderProcessOptions {
  /** Let the process go after this long without a job. */
  idleMs: number;
  /** A job that takes longer kills the process (a runaway spec must not hang a report). */
  jobTimeoutMs: number;
  /** Defaults: the worker next to this module, and this process's node flags (tsx when run from source). */
  modulePath?: string;
  execArgv?: string[];
  onEvent?: (event: RenderProcessEvent) => void;
}

export type RenderProcessEvent =
  | { event: 'render.started'; pid: number }
  | { event: 'render.exited'; pid: number; code: number | null; signal: string | null; expected: boolean }
  | { event: 'render.memory'; pid: number; rss: number };

export interface RenderProcess {
  chart(spec: TopLevelSpec, scale?: number): Promise<RenderedChart>;
  mjml(source: string, filePath: string, slots: Record<string, string>): Promise<string>;
  /** The pid of the running render process, or null when none runs. */
  pid(): number | null;
  /** Stops the process (jobs in flight fail) and starts no new one. */
  close(): Promise<void>;
}

interface Pending {
  /** The process the job was handed to: an exit fails its own jobs, not a successor's. */
  proc: ChildProcess;
  resolve: (reply: Extract<RenderReply, { ok: true }>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const STDERR_TAIL = 2_000;

function defaultWorkerPath(): string {
  // From source (tsx) this module is .ts and so is its worker; compiled, both are .js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./render-worker.${ext}`, import.meta.url));
}

export function createRenderProcess(options: RenderProcessOptions): RenderProcess {
  const modulePath = options.modulePath ?? defaultWorkerPath();
  const execArgv = options.execArgv ?? process.execArgv;
  const emit = options.onEvent ?? (() => {});
  let child: ChildProcess | null = null;
  let closed = false;
  let nextId = 1;
  let idleTimer: NodeJS.Timeout | null = null;
  const pending = new Map<number, Pending>();
  const letGo = new WeakSet<ChildProcess>();
  const busy = (proc: ChildProcess) => [...pending.values()].some((p) => p.proc === proc);

  const failAll = (proc: ChildProcess, error: Error) => {
    for (const [id, p] of pending) {
      if (p.proc !== proc) continue;
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(error);
    }
  };

  const start = (): ChildProcess => {
    let stderr = '';
    const proc = fork(modulePath, [], {
      execArgv,
      serialization: 'advanced',
      // A process group of its own: Ctrl-C in the daemon's terminal is the daemon's to handle.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
    });
    proc.on('message', (reply: RenderReply) => {
      emit({ event: 'render.memory', pid: proc.pid ?? 0, rss: reply.rss });
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply);
      else p.reject(fromRemoteError(reply.error));
      if (child === proc && !busy(proc)) armIdle();
    });
    proc.on('error', (error) => {
      if (child === proc) child = null;
      failAll(
        proc,
        new PulsebotError('RENDER_FAILED', `the render process failed: ${error.message}`, { cause: error }),
      );
    });
    proc.on('exit', (code, signal) => {
      const expected = letGo.has(proc);
      emit({ event: 'render.exited', pid: proc.pid ?? 0, code, signal, expected });
      if (child === proc) child = null;
      if (!expected || busy(proc)) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        failAll(
          proc,
          new PulsebotError(
            'RENDER_FAILED',
            `the render process exited (${signal ?? `code ${code}`}) during a job${tail ? `: ${tail}` : ''}`,
          ),
        );
      }
    });
    emit({ event: 'render.started', pid: proc.pid ?? 0 });
    return proc;
  };

  const stopChild = (proc: ChildProcess, kill: boolean) => {
    letGo.add(proc);
    if (child === proc) child = null;
    if (kill) proc.kill('SIGKILL');
    else if (proc.connected) proc.disconnect();
  };

  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (child && !busy(child)) stopChild(child, false);
    }, options.idleMs);
    idleTimer.unref();
  };

  const run = (job: RenderJob): Promise<Extract<RenderReply, { ok: true }>> => {
    if (closed)
      return Promise.reject(new PulsebotError('RENDER_FAILED', 'the render process is closed (shutting down)'));
    if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = null;
    }
    child ??= start();
    const proc = child;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new PulsebotError(
            'RENDER_FAILED',
            `a ${job.kind === 'chart' ? 'chart' : 'email'} render took longer than ${options.jobTimeoutMs} ms; the render process was stopped`,
          ),
        );
        // Other jobs in flight on it fail with the exit; the next job starts a fresh process.
        stopChild(proc, true);
      }, options.jobTimeoutMs);
      pending.set(id, { proc, resolve, reject, timer });
      proc.send({ ...job, id } satisfies RenderRequest, (error) => {
        if (!error) return;
        const p = pending.get(id);
        if (!p) return;
        pending.delete(id);
        clearTimeout(p.timer);
        p.reject(
          new PulsebotError('RENDER_FAILED', `could not hand a job to the render process: ${error.message}`, {
            cause: error,
          }),
        );
      });
    });
  };

  return {
    async chart(spec, scale) {
      const reply = await run({ kind: 'chart', spec, scale });
      const chart = reply.chart!;
      return { png: asBuffer(chart.png), width: chart.width, height: chart.height };
    },
    async mjml(source, filePath, slots) {
      return (await run({ kind: 'mjml', source, filePath, slots })).html!;
    },
    pid: () => child?.pid ?? null,
    async close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      const proc = child;
      if (!proc) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      stopChild(proc, false);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
