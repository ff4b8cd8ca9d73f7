import type { Sql } from '../db/connect.js';
import { PulsebotError, messageOf } from '../errors.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import { claimRun, finishRun } from './job-runs.js';
import type { JobSpec } from './jobs.js';
import { redact } from '../redact.js';
import { scoped, type Logger } from './logger.js';
import { rememberUnrecorded, settleOpenRuns } from './open-runs.js';

/**
 * One tick of one job, start to end: claim it in pulsebot.job_runs (only one replica wins),
 * run it, record the outcome, log and count it. Never throws: a failing job is an outcome, and
 * the scheduler must go on with the next tick and the other jobs.
 */

export interface Tick {
  scheduledFor: Date;
  late: boolean;
}

/** 'claimed_elsewhere': another replica (or an earlier start of this one) has the tick. */
export type TickResult = 'ok' | 'failed' | 'claimed_elsewhere';

export interface RunnerDeps {
  sql: Sql;
  instanceId: string;
  now: () => Date;
  log: Logger;
  metrics: DaemonMetrics;
}

export async function runTick(deps: RunnerDeps, job: JobSpec, tick: Tick): Promise<TickResult> {
  const log = scoped(deps.log, { job: job.name });
  const at = { scheduledFor: tick.scheduledFor.toISOString(), ...(tick.late ? { late: true } : {}) };
  const startedAt = deps.now();

  let id: number | null;
  try {
    id = await claimRun(deps.sql, {
      job: job.name,
      scheduledFor: tick.scheduledFor,
      startedAt,
      instanceId: deps.instanceId,
      late: tick.late,
    });
  } catch (error) {
    // Without the claim we cannot know whether another replica runs the tick: skip it rather
    // than risk running it twice. The database being away fails the next ticks the same way.
    const finishedAt = deps.now();
    record(deps, job, 'failed', startedAt, finishedAt);
    log.error(
      {
        event: 'job.failed',
        ...at,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        error: describeError(error),
        stage: 'claim',
      },
      `${job.name}: could not claim the tick: ${describeError(error)}`,
    );
    return 'failed';
  }
  // The database answers: earlier runs of the job left without an outcome get theirs, whether
  // or not this daemon runs the tick.
  await settleOpenRuns(deps, job, log);
  if (id === null) {
    deps.metrics.jobTicksSkipped.inc({ job: job.name, reason: 'claimed_elsewhere' });
    log.debug(
      { event: 'job.claimed_elsewhere', ...at },
      `${job.name}: tick ${at.scheduledFor} is run by another instance`,
    );
    return 'claimed_elsewhere';
  }

  log.debug({ event: 'job.started', ...at }, `${job.name} started`);
  let outcome: 'ok' | 'failed';
  let error: string | null = null;
  let details: Record<string, unknown> = {};
  try {
    details = (await job.run({ scheduledFor: tick.scheduledFor, late: tick.late, now: deps.now, log })) ?? {};
    outcome = 'ok';
  } catch (thrown) {
    outcome = 'failed';
    error = describeError(thrown);
  }
  const finishedAt = deps.now();
  const durationMs = finishedAt.getTime() - startedAt.getTime();

  try {
    await finishRun(deps.sql, id, { finishedAt, outcome, error });
  } catch (finishError) {
    rememberUnrecorded(job, id, { finishedAt, outcome, error });
    log.warn(
      { event: 'job.record_failed', ...at, error: describeError(finishError) },
      `${job.name}: the run's outcome could not be stored; the next tick stores it`,
    );
  }
  record(deps, job, outcome, startedAt, finishedAt);
  if (outcome === 'failed') {
    log.error({ event: 'job.failed', ...at, durationMs, error }, `${job.name} failed after ${durationMs} ms: ${error}`);
  } else {
    const fields = { event: 'job.finished', ...at, durationMs, ...details };
    const message = `${job.name} finished in ${durationMs} ms${tick.late ? ' (late: caught up after downtime)' : ''}`;
    if (job.quiet) log.debug(fields, message);
    else log.info(fields, message);
  }
  return outcome;
}

function record(deps: RunnerDeps, job: JobSpec, outcome: 'ok' | 'failed', startedAt: Date, finishedAt: Date): void {
  deps.metrics.jobRuns.inc({ job: job.name, outcome });
  deps.metrics.jobDuration.observe({ job: job.name }, Math.max(0, finishedAt.getTime() - startedAt.getTime()) / 1000);
  if (outcome === 'ok') deps.metrics.jobLastSuccess.set({ job: job.name }, finishedAt.getTime() / 1000);
}

/** The message with its cause (one level: the useful part of a wrapped driver error), secrets scrubbed. */
export function describeError(error: unknown): string {
  const message = messageOf(error);
  const cause = error instanceof Error ? error.cause : undefined;
  const causeMessage = cause === undefined ? '' : messageOf(cause);
  const code = error instanceof PulsebotError ? `${error.code}: ` : '';
  return redact(`${code}${message}${causeMessage && !message.includes(causeMessage) ? ` (${causeMessage})` : ''}`);
}
