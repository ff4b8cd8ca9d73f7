import { createConnection } from 'node:net';
import { nextRuns } from '../alerts/schedule.js';
import type { Sql } from '../db/connect.js';
import { messageOf } from '../errors.js';
import type { JobSpec } from './jobs.js';

/**
 * Is the daemon doing its work? Ready when the database answers and every job's timer has fired
 * within twice its interval (or the job has not been due yet). A job whose run hangs stops
 * ticking (overrun protection skips its ticks), so it shows up here.
 */

export interface StaleJob {
  job: string;
  /** The last tick in this process, or null when it never ticked since start. */
  lastTickAt: string | null;
  intervalSeconds: number;
}

/** Jobs whose timer has not fired within 2× their interval since the last tick (or the start). */
export function staleJobs(
  jobs: readonly JobSpec[],
  lastTickAt: (job: string) => Date | undefined,
  startedAt: Date,
  now: Date,
): StaleJob[] {
  const stale: StaleJob[] = [];
  for (const job of jobs) {
    const last = lastTickAt(job.name);
    const since = last ?? startedAt;
    const [due, after] = nextRuns(job.schedule, job.timezone, since, 2);
    if (!due || !after || due.getTime() > now.getTime()) continue; // not due yet
    const intervalMs = after.getTime() - due.getTime();
    if (now.getTime() - since.getTime() > 2 * intervalMs) {
      stale.push({ job: job.name, lastTickAt: last?.toISOString() ?? null, intervalSeconds: intervalMs / 1000 });
    }
  }
  return stale;
}

export type DatabaseProbe = { ok: true; ms: number } | { ok: false; reason: string };

/** How long the second look (a plain connection) may take after `select 1` got no answer. */
const CONNECT_CHECK_MS = 1_000;

/**
 * `select 1` within `timeoutMs`. postgres.js has no client-side timeout and a half-open
 * connection can hang a query forever, so the timer decides. No answer is not the whole story:
 * a pool that keeps failing to connect waits longer and longer between attempts (postgres.js's
 * backoff), so a refusing server looks like a silent one. After a timeout, one plain connection
 * to the server says which it is.
 */
export async function probeDatabase(sql: Sql, timeoutMs: number, now: () => number = Date.now): Promise<DatabaseProbe> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const query = sql`select 1 as one`.then(
    (): DatabaseProbe => ({ ok: true, ms: now() - started }),
    (error: unknown): DatabaseProbe => ({ ok: false, reason: `select 1 failed: ${messageOf(error)}` }),
  );
  let result: DatabaseProbe | 'timeout';
  try {
    result = await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (result !== 'timeout') return result;
  const silent = `no answer to select 1 within ${timeoutMs} ms`;
  const endpoint = endpointOf(sql);
  if (!endpoint) return { ok: false, reason: silent };
  const connect = await tryConnect(endpoint, CONNECT_CHECK_MS);
  const where = 'path' in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
  switch (connect.kind) {
    case 'connected':
      return { ok: false, reason: `${silent} (${where} accepts connections)` };
    case 'timeout':
      return { ok: false, reason: `${silent}, and ${where} did not accept a connection within ${CONNECT_CHECK_MS} ms` };
    case 'error':
      return { ok: false, reason: `cannot connect to ${where}: ${connect.message} (${silent})` };
  }
}

type Endpoint = { path: string } | { host: string; port: number };

/** Where the pool connects: its unix socket, or its first host and port. */
function endpointOf(sql: Sql): Endpoint | null {
  const options = sql.options as { host?: string[]; port?: number[]; path?: string | false };
  if (options.path) return { path: options.path };
  const host = options.host?.[0];
  const port = options.port?.[0];
  return host && port ? { host, port } : null;
}

type ConnectResult = { kind: 'connected' } | { kind: 'timeout' } | { kind: 'error'; message: string };

/** Opens a plain socket and closes it at once: no startup message, nothing sent. */
async function tryConnect(endpoint: Endpoint, timeoutMs: number): Promise<ConnectResult> {
  return new Promise<ConnectResult>((resolve) => {
    const socket =
      'path' in endpoint ? createConnection(endpoint.path) : createConnection(endpoint.port, endpoint.host);
    const done = (result: ConnectResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    socket.once('connect', () => done({ kind: 'connected' }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      // "connect ECONNREFUSED 127.0.0.1:5432", "getaddrinfo ENOTFOUND db.example.com"
      done({ kind: 'error', message: error.message || String(error.code) }),
    );
  });
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
  database: DatabaseProbe;
  staleJobs: StaleJob[];
}

export function readiness(input: {
  database: DatabaseProbe;
  staleJobs: StaleJob[];
  shuttingDown: boolean;
  /** Other parts that are down (the Slack Socket Mode connection), in words. */
  other?: readonly string[];
}): Readiness {
  const reasons: string[] = [];
  if (input.shuttingDown) reasons.push('shutting down');
  if (!input.database.ok) reasons.push(`database: ${input.database.reason}`);
  for (const s of input.staleJobs) {
    reasons.push(
      `job ${s.job} has not ticked ${s.lastTickAt ? `since ${s.lastTickAt}` : 'since start'} (interval ${s.intervalSeconds} s)`,
    );
  }
  reasons.push(...(input.other ?? []));
  return { ready: reasons.length === 0, reasons, database: input.database, staleJobs: input.staleJobs };
}
