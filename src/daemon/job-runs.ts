import type { Sql } from '../db/connect.js';
import { PulsebotError, messageOf, pgFields } from '../errors.js';

/**
 * Queries of pulsebot.job_runs: the claim that makes each tick run on one replica only, the
 * record of how it went, and the newest tick of each job (the catch-up memory).
 */

export type RunOutcome = 'ok' | 'failed';

export interface ClaimRequest {
  job: string;
  scheduledFor: Date;
  startedAt: Date;
  instanceId: string;
  late: boolean;
}

async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    const missing = pgFields(cause).code === '42P01';
    throw new PulsebotError('DB_QUERY', `job_runs: ${what} failed: ${messageOf(cause)}`, {
      cause,
      ...(missing ? { hint: 'the pulsebot.job_runs table is missing: run `pulsebot migrate`' } : {}),
    });
  }
}

/**
 * Claims one tick of one job. Every replica computes the same (job, scheduled_for) for a tick;
 * the unique key lets exactly one insert win, so the tick's id comes back to one replica only
 * and null to the others. No lock is held while the job runs.
 */
export async function claimRun(sql: Sql, claim: ClaimRequest): Promise<number | null> {
  const rows = await run(
    'claim',
    () => sql<{ id: number }[]>`
    insert into pulsebot.job_runs (job, scheduled_for, started_at, instance_id, late)
    values (${claim.job}, ${claim.scheduledFor}, ${claim.startedAt}, ${claim.instanceId}, ${claim.late})
    on conflict (job, scheduled_for) do nothing
    returning id`,
  );
  return rows[0]?.id ?? null;
}

export async function finishRun(
  sql: Sql,
  id: number,
  result: { finishedAt: Date; outcome: RunOutcome; error: string | null },
): Promise<void> {
  await run(
    'finish',
    () => sql`
    update pulsebot.job_runs
    set finished_at = ${result.finishedAt}, outcome = ${result.outcome}, error = ${result.outcome === 'failed' ? result.error : null}
    where id = ${id}`,
  );
}

export interface AbandonedRun {
  id: number;
  scheduledFor: Date;
  instanceId: string;
}

/**
 * Closes the runs of `job` still open `staleAfterMs` after they started, as failed with the
 * reason: their daemon stopped, hung or lost the database mid-run, and nothing else would ever
 * finish them. 'failed', because the outcome column allows only 'ok' and 'failed'. Should such
 * a run end after all, its own finish overwrites this (finishRun updates by id).
 */
export async function closeAbandonedRuns(
  sql: Sql,
  opts: { job: string; now: Date; staleAfterMs: number; except?: readonly number[] },
): Promise<AbandonedRun[]> {
  const staleBefore = new Date(opts.now.getTime() - opts.staleAfterMs);
  const minutes = String(Math.round(opts.staleAfterMs / 60_000));
  const rows = await run(
    'close abandoned',
    () => sql<{ id: number; scheduled_for: Date; instance_id: string }[]>`
    update pulsebot.job_runs
    set finished_at = ${opts.now}, outcome = 'failed',
        error = 'abandoned: no outcome ' || ${minutes} || ' min after it started; its daemon (' || instance_id
          || ') stopped, hung or lost the database mid-run'
    where job = ${opts.job} and outcome is null and started_at < ${staleBefore}
      and id <> all(${(opts.except ?? []) as number[]}::bigint[])
    returning id, scheduled_for, instance_id`,
  );
  return rows.map((r) => ({ id: r.id, scheduledFor: r.scheduled_for, instanceId: r.instance_id }));
}

/** The newest tick each job has a run for (claimed by any replica, finished or not). */
export async function lastScheduledRuns(sql: Sql, jobs: readonly string[]): Promise<Map<string, Date>> {
  if (jobs.length === 0) return new Map();
  const rows = await run(
    'last runs',
    () => sql<{ job: string; last: Date | null }[]>`
    select j.job, (select max(r.scheduled_for) from pulsebot.job_runs r where r.job = j.job) as last
    from unnest(${jobs as string[]}::text[]) as j(job)`,
  );
  const last = new Map<string, Date>();
  for (const r of rows) if (r.last) last.set(r.job, r.last);
  return last;
}

/** Deletes runs that started before `before`, keeping each job's newest run (the catch-up memory). */
export async function pruneJobRuns(sql: Sql, before: Date): Promise<number> {
  const result = await run(
    'prune',
    () => sql`
    delete from pulsebot.job_runs r
    where r.started_at < ${before}
      and r.scheduled_for < (select max(n.scheduled_for) from pulsebot.job_runs n where n.job = r.job)`,
  );
  return result.count;
}

export interface JobRunRow {
  id: number;
  job: string;
  scheduledFor: Date;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: RunOutcome | null;
  late: boolean;
  error: string | null;
  instanceId: string;
}

/** Runs of one job, oldest first (tests, and a future `pulsebot status`). */
export async function jobRunsOf(sql: Sql, job: string): Promise<JobRunRow[]> {
  const rows = await run(
    'list',
    () => sql<
      {
        id: number;
        job: string;
        scheduled_for: Date;
        started_at: Date;
        finished_at: Date | null;
        outcome: RunOutcome | null;
        late: boolean;
        error: string | null;
        instance_id: string;
      }[]
    >`
    select id, job, scheduled_for, started_at, finished_at, outcome, late, error, instance_id
    from pulsebot.job_runs where job = ${job} order by scheduled_for`,
  );
  return rows.map((r) => ({
    id: r.id,
    job: r.job,
    scheduledFor: r.scheduled_for,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    late: r.late,
    error: r.error,
    instanceId: r.instance_id,
  }));
}
