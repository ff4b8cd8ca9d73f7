import { messageOf } from '../errors.js';
import { redact } from '../redact.js';
import type { Sql } from '../db/connect.js';
import { closeAbandonedRuns, finishRun, type RunOutcome } from './job-runs.js';
import type { JobSpec } from './jobs.js';
import type { Logger } from './logger.js';

/**
 * Runs in pulsebot.job_runs that a tick left without an outcome, and how each gets one, so none
 * stays open forever:
 * - the database went away before this daemon could store how a run ended: the daemon keeps the
 *   outcome and stores it at the job's next tick;
 * - a run still open an hour after it started, whichever daemon claimed it: that daemon stopped,
 *   hung or lost the database mid-run; closed as failed with that reason, at the first tick of
 *   the job after a start and then every ten minutes.
 */

export interface FinishResult {
  finishedAt: Date;
  outcome: RunOutcome;
  error: string | null;
}

interface OpenRuns {
  /** Runs of this daemon whose outcome is known but could not be stored, by run id. */
  unrecorded: Map<number, FinishResult>;
  /** When this daemon last looked for abandoned runs of the job (ms), null before the first tick. */
  sweptAt: number | null;
}

/** A run open this long is taken as abandoned: no job comes near it (statements and leases time out in minutes). */
const ABANDONED_AFTER_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** Per job of a running daemon: a JobSpec lives exactly as long as the daemon that runs it. */
const openRuns = new WeakMap<JobSpec, OpenRuns>();

function openRunsOf(job: JobSpec): OpenRuns {
  let runs = openRuns.get(job);
  if (!runs) {
    runs = { unrecorded: new Map(), sweptAt: null };
    openRuns.set(job, runs);
  }
  return runs;
}

/** A run whose finish could not be stored: kept until a later tick of the job stores it. */
export function rememberUnrecorded(job: JobSpec, id: number, result: FinishResult): void {
  openRunsOf(job).unrecorded.set(id, result);
}

/** Stores outcomes kept from earlier ticks, then (when due) closes abandoned runs. Never throws. */
export async function settleOpenRuns(deps: { sql: Sql; now: () => Date }, job: JobSpec, log: Logger): Promise<void> {
  const runs = openRunsOf(job);
  for (const [id, result] of runs.unrecorded) {
    try {
      await finishRun(deps.sql, id, result);
    } catch (error) {
      log.warn(
        { event: 'job.record_failed', runId: id, error: describe(error) },
        `${job.name}: the outcome of an earlier run still cannot be stored: ${describe(error)}`,
      );
      return; // the database is still away: the next tick tries again
    }
    runs.unrecorded.delete(id);
    log.info(
      { event: 'job.recorded_late', runId: id, outcome: result.outcome, finishedAt: result.finishedAt.toISOString() },
      `${job.name}: stored the outcome (${result.outcome}) of a run that ended while the database was away`,
    );
  }

  const now = deps.now();
  if (runs.sweptAt !== null && now.getTime() - runs.sweptAt < SWEEP_EVERY_MS) return;
  try {
    const closed = await closeAbandonedRuns(deps.sql, {
      job: job.name,
      now,
      staleAfterMs: ABANDONED_AFTER_MS,
      except: [...runs.unrecorded.keys()],
    });
    runs.sweptAt = now.getTime();
    for (const r of closed) {
      log.warn(
        {
          event: 'job.abandoned',
          runId: r.id,
          runScheduledFor: r.scheduledFor.toISOString(),
          runInstance: r.instanceId,
        },
        `${job.name}: the run of ${r.scheduledFor.toISOString()} (${r.instanceId}) never recorded an outcome; closed as failed`,
      );
    }
  } catch (error) {
    log.warn(
      { event: 'job.abandoned_check_failed', error: describe(error) },
      `${job.name}: could not close runs left open: ${describe(error)}`,
    );
  }
}

function describe(error: unknown): string {
  return redact(messageOf(error));
}
