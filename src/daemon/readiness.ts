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

/**
 * `select 1` within `timeoutMs`. postgres.js has no client-side timeout and a half-open
 * connection can hang a query forever, so the timer decides.
 */
export async function probeDatabase(sql: Sql, timeoutMs: number, now: () => number = Date.now): Promise<DatabaseProbe> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DatabaseProbe>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer to select 1 within ${timeoutMs} ms` }), timeoutMs);
  });
  const query = sql`select 1 as one`.then(
    (): DatabaseProbe => ({ ok: true, ms: now() - started }),
    (error: unknown): DatabaseProbe => ({ ok: false, reason: `select 1 failed: ${messageOf(error)}` }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
  database: DatabaseProbe;
  staleJobs: StaleJob[];
}

export function readiness(input: { database: DatabaseProbe; staleJobs: StaleJob[]; shuttingDown: boolean }): Readiness {
  const reasons: string[] = [];
  if (input.shuttingDown) reasons.push('shutting down');
  if (!input.database.ok) reasons.push(`database: ${input.database.reason}`);
  for (const s of input.staleJobs) {
    reasons.push(
      `job ${s.job} has not ticked ${s.lastTickAt ? `since ${s.lastTickAt}` : 'since start'} (interval ${s.intervalSeconds} s)`,
    );
  }
  return { ready: reasons.length === 0, reasons, database: input.database, staleJobs: input.staleJobs };
}
