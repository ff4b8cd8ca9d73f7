import { Cron } from 'croner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import type { Tick } from '../../src/daemon/job-runner.js';
import type { JobSpec } from '../../src/daemon/jobs.js';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import { createScheduler, scheduledTimeOf } from '../../src/daemon/scheduler.js';

/**
 * croner's timers and clock are the only real-time parts of the scheduler; vitest's fake timers
 * replace both, so these tests step through minutes of schedule without sleeping.
 */

const T0 = new Date('2026-11-02T09:59:58.000Z');

function job(name: string, schedule: string, timezone = 'UTC'): JobSpec {
  return { name, schedule, timezone, catchUp: false, quiet: false, run: async () => {} };
}

async function fixture() {
  const lines: string[] = [];
  const log = await createLogger({ level: 'debug', pretty: false, destination: lineDestination((l) => lines.push(l)) });
  const metrics = createDaemonMetrics({
    startedAt: new Date(),
    now: () => new Date(),
    memory: () => process.memoryUsage(),
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, metrics, records };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('scheduledTimeOf', () => {
  it('maps a firing at or just after a tick to that tick, in the job’s time zone', () => {
    const everyFive = new Cron('*/5 * * * * *', { paused: true, timezone: 'UTC' });
    expect(scheduledTimeOf(everyFive, new Date('2026-11-02T10:00:05.000Z')).toISOString()).toBe(
      '2026-11-02T10:00:05.000Z',
    );
    expect(scheduledTimeOf(everyFive, new Date('2026-11-02T10:00:05.730Z')).toISOString()).toBe(
      '2026-11-02T10:00:05.000Z',
    );
    expect(scheduledTimeOf(everyFive, new Date('2026-11-02T10:00:09.999Z')).toISOString()).toBe(
      '2026-11-02T10:00:05.000Z',
    );
    const berlin9 = new Cron('0 9 * * *', { paused: true, timezone: 'Europe/Berlin' });
    // 2026-03-29 is the spring-forward day in Berlin: 09:00 local is 07:00 UTC (08:00 the day before).
    expect(scheduledTimeOf(berlin9, new Date('2026-03-29T07:00:00.040Z')).toISOString()).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    expect(scheduledTimeOf(berlin9, new Date('2026-03-28T08:00:00.040Z')).toISOString()).toBe(
      '2026-03-28T08:00:00.000Z',
    );
  });

  it('agrees with croner’s own firing times across DST changes (a gap, a repeated hour), so replicas claim the same tick', () => {
    const cases: Array<[string, string, string]> = [
      ['30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z'], // 02:30 does not exist on 03-29: runs at 03:00
      ['30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z'], // 01:30 happens twice on 11-01: runs once
      ['*/30 * * * *', 'America/New_York', '2026-11-01T04:40:00Z'], // both 01:00 and 01:30 hours run
      ['*/30 * * * *', 'America/New_York', '2026-03-08T06:40:00Z'], // the 02:xx hour is skipped
      ['0 9 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z'],
    ];
    for (const [pattern, timezone, from] of cases) {
      const cron = new Cron(pattern, { paused: true, timezone });
      for (const run of cron.nextRuns(4, new Date(from))) {
        // croner fires at or after the scheduled second; a few ms late is the usual case.
        for (const lateMs of [0, 7, 950]) {
          expect(
            scheduledTimeOf(cron, new Date(run.getTime() + lateMs)).toISOString(),
            `${pattern} ${timezone} ${run.toISOString()} +${lateMs}`,
          ).toBe(run.toISOString());
        }
      }
    }
  });
});

describe('scheduler', () => {
  it('fires each job on its schedule with the exact tick time, and stops on stop()', async () => {
    const { log, metrics } = await fixture();
    const ticks: Array<{ job: string; at: string; late: boolean }> = [];
    const s = createScheduler({
      jobs: [job('fast', '* * * * * *'), job('slow', '*/5 * * * * *')],
      log,
      metrics,
      runTick: async (j, t: Tick) => {
        ticks.push({ job: j.name, at: t.scheduledFor.toISOString(), late: t.late });
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(12_000); // 09:59:58 → 10:00:10
    s.stop();
    await vi.advanceTimersByTimeAsync(10_000);

    const fast = ticks.filter((t) => t.job === 'fast').map((t) => t.at.slice(11, 19));
    const slow = ticks.filter((t) => t.job === 'slow').map((t) => t.at.slice(11, 19));
    expect(fast).toEqual([
      '09:59:59',
      '10:00:00',
      '10:00:01',
      '10:00:02',
      '10:00:03',
      '10:00:04',
      '10:00:05',
      '10:00:06',
      '10:00:07',
      '10:00:08',
      '10:00:09',
      '10:00:10',
    ]);
    expect(slow).toEqual(['10:00:00', '10:00:05', '10:00:10']);
    expect(ticks.every((t) => !t.late)).toBe(true);
    expect(s.lastTickAt('fast')?.toISOString()).toBe('2026-11-02T10:00:10.000Z');
  });

  it('overrun protection: a tick during a run is skipped (not queued), counted and logged', async () => {
    const { log, metrics, records } = await fixture();
    let release!: () => void;
    const started: string[] = [];
    const s = createScheduler({
      jobs: [job('long', '* * * * * *')],
      log,
      metrics,
      runTick: async (_j, t) => {
        started.push(t.scheduledFor.toISOString().slice(11, 19));
        if (started.length === 1) await new Promise<void>((r) => (release = r));
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(4_500); // first tick 09:59:59 hangs; 10:00:00–10:00:02 come during it
    expect(started).toEqual(['09:59:59']);
    expect(s.inFlight()).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    s.stop();
    expect(started).toEqual(['09:59:59', '10:00:03']);
    expect(metrics.jobTicksSkipped.get({ job: 'long', reason: 'overrun' })).toBe(3);
    expect(records().filter((r) => r.event === 'job.overrun' && r.job === 'long')).toHaveLength(3);
  });

  it('a tick function that throws is caught and logged; the job and the others keep ticking', async () => {
    const { log, metrics, records } = await fixture();
    const ran: string[] = [];
    const s = createScheduler({
      jobs: [job('broken', '* * * * * *'), job('fine', '* * * * * *')],
      log,
      metrics,
      runTick: async (j) => {
        ran.push(j.name);
        if (j.name === 'broken') throw new Error('runner exploded');
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(3_000);
    s.stop();
    expect(ran.filter((n) => n === 'broken')).toHaveLength(3);
    expect(ran.filter((n) => n === 'fine')).toHaveLength(3);
    const crashed = records().filter((r) => r.event === 'job.crashed');
    expect(crashed).toHaveLength(3);
    expect(crashed[0]).toMatchObject({ level: 'error', job: 'broken', error: 'runner exploded' });
  });

  it('drain waits for runs in flight, including runs started outside the timers, up to its bound', async () => {
    const { log, metrics } = await fixture();
    const s = createScheduler({
      jobs: [job('j', '0 0 1 1 *')],
      log,
      metrics,
      runTick: (_j, t) => new Promise<void>((r) => setTimeout(r, t.late ? 3_000 : 30_000)),
    });
    s.start();
    void s.run(s.jobs[0]!, { scheduledFor: new Date('2026-11-02T09:00:00Z'), late: true });
    expect(s.inFlight()).toBe(1);
    s.stop();
    const drained = s.drain(5_000);
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(drained).resolves.toBe(true);
    expect(s.inFlight()).toBe(0);

    // After stop(), drain is the only way out: run() no longer starts anything.
    const s2 = createScheduler({
      jobs: s.jobs,
      log,
      metrics,
      runTick: (_j, t) => new Promise<void>((r) => setTimeout(r, t.late ? 3_000 : 30_000)),
    });
    s2.start();
    void s2.run(s.jobs[0]!, { scheduledFor: new Date('2026-11-02T09:00:00Z'), late: false });
    s2.stop();
    await s2.run(s.jobs[0]!, { scheduledFor: new Date('2026-11-02T09:00:00Z'), late: true });
    expect(s2.inFlight()).toBe(1);
    const bounded = s2.drain(5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(bounded).resolves.toBe(false);
    expect(s2.inFlight()).toBe(1);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(s2.inFlight()).toBe(0);
  });
});
