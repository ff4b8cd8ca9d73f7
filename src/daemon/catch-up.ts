import { missedRun } from '../alerts/schedule.js';
import { describeError, type Tick } from './job-runner.js';
import type { JobSpec } from './jobs.js';
import { scoped, type Logger } from './logger.js';

/**
 * What a daemon does on start for the report ticks it missed while it was down: the most recent
 * miss is run once, marked late, if it is within the grace; older misses are logged and
 * skipped. The memory is pulsebot.job_runs (the newest tick each job has a run for), so it
 * survives restarts and is shared by replicas; a catch-up run claims its tick like any other,
 * so replicas starting together catch up once. Whether the period went out anyway (another
 * replica sent it) is the outbox's business: its unique key makes a second send impossible.
 */

/** A run this much after its tick is marked late. */
const LATE_AFTER_MS = 2 * 60_000;

export interface CatchUpDeps {
  jobs: readonly JobSpec[];
  /** The newest scheduled_for each job has a run for. */
  lastRuns(jobs: string[]): Promise<Map<string, Date>>;
  now: Date;
  graceMs: number;
  log: Logger;
  /** Runs a tick (tracked by the scheduler, claimed through job_runs). */
  run(job: JobSpec, tick: Tick): Promise<void>;
}

export interface CatchUpDecision {
  job: string;
  action: 'run' | 'skip' | 'none' | 'no_history';
  scheduledFor?: Date;
  skipped: Date[];
}

/** Decides for every catch-up job, starts the due runs, and returns the decisions and the runs. */
export async function catchUp(deps: CatchUpDeps): Promise<{ decisions: CatchUpDecision[]; runs: Promise<void>[] }> {
  const jobs = deps.jobs.filter((j) => j.catchUp);
  const decisions: CatchUpDecision[] = [];
  const runs: Promise<void>[] = [];
  if (jobs.length === 0) return { decisions, runs };

  let last: Map<string, Date>;
  try {
    last = await deps.lastRuns(jobs.map((j) => j.name));
  } catch (error) {
    deps.log.error(
      { event: 'catch_up.failed', error: describeError(error) },
      `catch-up skipped: could not read the last runs: ${describeError(error)}`,
    );
    return { decisions, runs };
  }

  for (const job of jobs) {
    const log = scoped(deps.log, { job: job.name });
    const lastRunAt = last.get(job.name) ?? null;
    if (lastRunAt === null) {
      // A first start on this database: nothing was missed, and a new install must not send
      // a report for a day nobody scheduled.
      decisions.push({ job: job.name, action: 'no_history', skipped: [] });
      log.info({ event: 'catch_up.no_history' }, `${job.name}: no earlier run recorded; waiting for the next tick`);
      continue;
    }
    const missed = missedRun(job.schedule, job.timezone, lastRunAt, deps.now, deps.graceMs);
    if (missed === null) {
      decisions.push({ job: job.name, action: 'none', skipped: [] });
      continue;
    }
    const lastRun = lastRunAt.toISOString();
    if (missed.kind === 'skipped') {
      decisions.push({ job: job.name, action: 'skip', skipped: missed.skipped });
      log.warn(
        {
          event: 'catch_up.skipped',
          lastRun,
          missed: missed.skipped.map((d) => d.toISOString()),
          truncated: missed.truncated,
          graceMinutes: deps.graceMs / 60_000,
        },
        `${job.name}: missed ${describeMisses(missed.skipped, missed.truncated)} while down; older than the ${deps.graceMs / 60_000}-minute grace, not sent`,
      );
      continue;
    }
    decisions.push({ job: job.name, action: 'run', scheduledFor: missed.due, skipped: missed.skipped });
    if (missed.skipped.length > 0) {
      log.warn(
        {
          event: 'catch_up.skipped',
          lastRun,
          missed: missed.skipped.map((d) => d.toISOString()),
          truncated: missed.truncated,
        },
        `${job.name}: also missed ${describeMisses(missed.skipped, missed.truncated)}; only the most recent is sent`,
      );
    }
    // A restart a few seconds after the tick is not worth a "sent late" banner in the message.
    const late = missed.late && deps.now.getTime() - missed.due.getTime() > LATE_AFTER_MS;
    log.info(
      { event: 'catch_up.run', lastRun, scheduledFor: missed.due.toISOString(), late },
      `${job.name}: missed the tick of ${missed.due.toISOString()} while down; running it now${late ? ', marked late' : ''}`,
    );
    runs.push(deps.run(job, { scheduledFor: missed.due, late }));
  }
  return { decisions, runs };
}

function describeMisses(dates: Date[], truncated: boolean): string {
  if (dates.length === 0) return 'no tick';
  const oldest = dates[dates.length - 1]!.toISOString();
  const newest = dates[0]!.toISOString();
  const count = `${dates.length}${truncated ? '+' : ''} tick${dates.length === 1 && !truncated ? '' : 's'}`;
  return dates.length === 1 ? `${count} (${newest})` : `${count} (${oldest} … ${newest})`;
}
