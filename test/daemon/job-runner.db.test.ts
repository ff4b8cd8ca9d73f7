import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { runTick, type RunnerDeps } from '../../src/daemon/job-runner.js';
import { jobRunsOf, lastScheduledRuns, pruneJobRuns } from '../../src/daemon/job-runs.js';
import type { JobSpec } from '../../src/daemon/jobs.js';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import { PulsebotError } from '../../src/errors.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

function job(name: string, run: JobSpec['run'], quiet = false): JobSpec {
  return { name, schedule: '* * * * *', timezone: 'UTC', catchUp: false, quiet, run };
}

describe.each(TARGETS)('job runner on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function deps(instanceId: string, clock: { t: number }) {
    const lines: string[] = [];
    const log = await createLogger({
      level: 'debug',
      pretty: false,
      destination: lineDestination((l) => lines.push(l)),
      base: { instance: instanceId },
    });
    const metrics = createDaemonMetrics({
      startedAt: new Date(clock.t),
      now: () => new Date(clock.t),
      memory: () => process.memoryUsage(),
    });
    const d: RunnerDeps = { sql: db.sql, instanceId, log, metrics, now: () => new Date(clock.t) };
    return { d, metrics, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('a tick runs once: the first claim runs and records it, a second claim of the same tick skips', async () => {
    const clock = { t: Date.parse('2026-11-02T10:00:00.120Z') };
    const a = await deps('host-a:1:aaa', clock);
    const b = await deps('host-b:2:bbb', clock);
    let runs = 0;
    const counted = job('count', async ({ scheduledFor, late }) => {
      runs++;
      clock.t += 250;
      return { scheduledFor: scheduledFor.toISOString(), late };
    });
    const tick = { scheduledFor: new Date('2026-11-02T10:00:00Z'), late: false };

    expect(await runTick(a.d, counted, tick)).toBe('ok');
    expect(await runTick(b.d, counted, tick)).toBe('claimed_elsewhere');
    expect(runs).toBe(1);

    const [row, ...more] = await jobRunsOf(db.sql, 'count');
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ outcome: 'ok', error: null, late: false, instanceId: 'host-a:1:aaa' });
    expect(row!.scheduledFor.toISOString()).toBe('2026-11-02T10:00:00.000Z');
    expect(row!.startedAt.toISOString()).toBe('2026-11-02T10:00:00.120Z');
    expect(row!.finishedAt!.toISOString()).toBe('2026-11-02T10:00:00.370Z');

    expect(a.metrics.jobRuns.get({ job: 'count', outcome: 'ok' })).toBe(1);
    expect(a.metrics.jobLastSuccess.lines()).toEqual([
      'pulsebot_job_last_success_timestamp_seconds{job="count"} 1793613600.37',
    ]);
    expect(b.metrics.jobTicksSkipped.get({ job: 'count', reason: 'claimed_elsewhere' })).toBe(1);
    const finished = a.records().find((r) => r.event === 'job.finished');
    expect(finished).toMatchObject({
      level: 'info',
      job: 'count',
      instance: 'host-a:1:aaa',
      durationMs: 250,
      scheduledFor: '2026-11-02T10:00:00.000Z',
    });
    expect(b.records().find((r) => r.event === 'job.claimed_elsewhere')).toMatchObject({
      level: 'debug',
      job: 'count',
    });
  });

  it('a job that throws: recorded failed with its error and cause, logged at error, counted; no secret in either', async () => {
    const clock = { t: Date.parse('2026-11-02T10:05:00Z') };
    const { d, metrics, records } = await deps('host-a:1:aaa', clock);
    const failing = job('explode', async () => {
      throw new PulsebotError('DELIVERY_FAILED', 'smtp refused', {
        cause: new Error('connect to smtp://u:hunter2@mail:587 refused'),
      });
    });
    expect(await runTick(d, failing, { scheduledFor: new Date('2026-11-02T10:05:00Z'), late: false })).toBe('failed');
    // The next tick of the same job runs normally.
    expect(
      await runTick(
        d,
        job('explode', async () => {}),
        { scheduledFor: new Date('2026-11-02T10:06:00Z'), late: false },
      ),
    ).toBe('ok');

    const rows = await jobRunsOf(db.sql, 'explode');
    expect(rows.map((r) => r.outcome)).toEqual(['failed', 'ok']);
    expect(rows[0]!.error).toBe('DELIVERY_FAILED: smtp refused (connect to smtp://u:***@mail:587 refused)');
    expect(metrics.jobRuns.get({ job: 'explode', outcome: 'failed' })).toBe(1);
    expect(metrics.jobRuns.get({ job: 'explode', outcome: 'ok' })).toBe(1);
    const failed = records().filter((r) => r.event === 'job.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'error', job: 'explode', error: rows[0]!.error });
    expect(JSON.stringify(records())).not.toContain('hunter2');
  });

  it('quiet jobs log success at debug; late ticks are stored and logged as late', async () => {
    const clock = { t: Date.parse('2026-11-02T10:30:00Z') };
    const { d, records } = await deps('host-a:1:aaa', clock);
    await runTick(
      d,
      job('deliver', async () => ({ sent: 0 }), true),
      { scheduledFor: new Date('2026-11-02T10:30:00Z'), late: false },
    );
    await runTick(
      d,
      job('report:daily', async () => {}),
      { scheduledFor: new Date('2026-11-02T09:00:00Z'), late: true },
    );
    expect(records().find((r) => r.event === 'job.finished' && r.job === 'deliver')).toMatchObject({
      level: 'debug',
      sent: 0,
    });
    expect(records().find((r) => r.event === 'job.finished' && r.job === 'report:daily')).toMatchObject({
      level: 'info',
      late: true,
    });
    const [late] = await jobRunsOf(db.sql, 'report:daily');
    expect(late).toMatchObject({ late: true, outcome: 'ok' });
  });

  it('the newest tick per job, and pruning that keeps it', async () => {
    const clock = { t: Date.parse('2026-10-01T00:00:00Z') };
    const { d } = await deps('host-a:1:aaa', clock);
    const noop = job('old', async () => {});
    for (const day of ['2026-10-01', '2026-10-02', '2026-10-03']) {
      clock.t = Date.parse(`${day}T09:00:01Z`);
      await runTick(d, noop, { scheduledFor: new Date(`${day}T09:00:00Z`), late: false });
    }
    const last = await lastScheduledRuns(db.sql, ['old', 'never']);
    expect(last.get('old')?.toISOString()).toBe('2026-10-03T09:00:00.000Z');
    expect(last.has('never')).toBe(false);
    // Everything is older than the cutoff, but the newest run stays: it is the catch-up memory.
    await pruneJobRuns(db.sql, new Date('2026-11-01T00:00:00Z'));
    expect((await jobRunsOf(db.sql, 'old')).map((r) => r.scheduledFor.toISOString())).toEqual([
      '2026-10-03T09:00:00.000Z',
    ]);
  });

  it('a claim that cannot reach the table fails the tick (never runs it unclaimed)', async () => {
    const clock = { t: Date.parse('2026-11-02T11:00:00Z') };
    const { d, records } = await deps('host-a:1:aaa', clock);
    await db.sql`alter table pulsebot.job_runs rename to job_runs_away`;
    let ran = false;
    try {
      expect(
        await runTick(
          d,
          job('refresh', async () => {
            ran = true;
          }),
          { scheduledFor: new Date('2026-11-02T11:00:00Z'), late: false },
        ),
      ).toBe('failed');
    } finally {
      await db.sql`alter table pulsebot.job_runs_away rename to job_runs`;
    }
    expect(ran).toBe(false);
    expect(records().find((r) => r.event === 'job.failed')).toMatchObject({
      level: 'error',
      job: 'refresh',
      stage: 'claim',
    });
  });
});
