import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Database } from '../../src/db/connect.js';
import { transportsFromEnv } from '../../src/delivery/transports.js';
import { catchUp } from '../../src/daemon/catch-up.js';
import { createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { runTick } from '../../src/daemon/job-runner.js';
import { claimRun, finishRun, jobRunsOf, lastScheduledRuns } from '../../src/daemon/job-runs.js';
import { jobsFromConfig, type JobSpec } from '../../src/daemon/jobs.js';
import { createLogger, lineDestination, type Logger } from '../../src/daemon/logger.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/**
 * Catch-up decides from what pulsebot.job_runs remembers. The report here is due at 09:00
 * Europe/Berlin, which is 08:00 UTC in November (CET).
 */

const GRACE_MS = 6 * 3_600_000;
const berlin = (isoLocal: string) => new Date(`${isoLocal}+01:00`);

function reportJob(name: string, ran: Array<{ job: string; at: string; late: boolean }>): JobSpec {
  return {
    name,
    schedule: '0 9 * * *',
    timezone: 'Europe/Berlin',
    catchUp: true,
    quiet: false,
    run: async ({ scheduledFor, late }) => {
      ran.push({ job: name, at: scheduledFor.toISOString(), late });
    },
  };
}

describe.each(TARGETS)('catch-up on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function logger() {
    const lines: string[] = [];
    const log = await createLogger({
      level: 'debug',
      pretty: false,
      destination: lineDestination((l) => lines.push(l)),
    });
    return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  /** The report's last run: yesterday's 09:00 tick. */
  async function ranYesterday(job: string): Promise<void> {
    const id = await claimRun(db.sql, {
      job,
      scheduledFor: berlin('2026-11-01T09:00:00'),
      startedAt: berlin('2026-11-01T09:00:01'),
      instanceId: 'earlier:1:000',
      late: false,
    });
    await finishRun(db.sql, id!, { finishedAt: berlin('2026-11-01T09:00:09'), outcome: 'ok', error: null });
  }

  async function startAt(now: Date, jobs: JobSpec[], log: Logger, instance = 'host-a:1:aaa') {
    const metrics = createDaemonMetrics({ startedAt: now, now: () => now, memory: () => process.memoryUsage() });
    const result = await catchUp({
      jobs,
      lastRuns: (names) => lastScheduledRuns(db.sql, names),
      now,
      graceMs: GRACE_MS,
      log,
      run: async (job, tick) => {
        await runTick({ sql: db.sql, instanceId: instance, now: () => now, log, metrics }, job, tick);
      },
    });
    await Promise.all(result.runs);
    return result.decisions;
  }

  it('last ran yesterday 09:00, started at 10:30: today’s 09:00 runs once, late; a second replica starting too does not run it again', async () => {
    const ran: Array<{ job: string; at: string; late: boolean }> = [];
    const job = reportJob('report:a', ran);
    await ranYesterday(job.name);
    const { log, records } = await logger();

    const [decision] = await startAt(berlin('2026-11-02T10:30:00'), [job], log);
    await startAt(berlin('2026-11-02T10:30:02'), [job], log, 'host-b:2:bbb');

    expect(decision).toMatchObject({ job: 'report:a', action: 'run', skipped: [] });
    expect(ran).toEqual([{ job: 'report:a', at: '2026-11-02T08:00:00.000Z', late: true }]);
    const rows = await jobRunsOf(db.sql, 'report:a');
    expect(rows.map((r) => [r.scheduledFor.toISOString(), r.late, r.outcome])).toEqual([
      ['2026-11-01T08:00:00.000Z', false, 'ok'],
      ['2026-11-02T08:00:00.000Z', true, 'ok'],
    ]);
    expect(records().find((r) => r.event === 'catch_up.run')).toMatchObject({
      level: 'info',
      job: 'report:a',
      scheduledFor: '2026-11-02T08:00:00.000Z',
    });
  });

  it('6 h grace: started at 15:00 the 09:00 report still goes (late); at 15:01 and 16:00 it is skipped with a warning', async () => {
    const ran: Array<{ job: string; at: string; late: boolean }> = [];
    const atEdge = reportJob('report:edge', ran);
    const justOver = reportJob('report:over', ran);
    const later = reportJob('report:later', ran);
    for (const j of [atEdge, justOver, later]) await ranYesterday(j.name);
    const { log, records } = await logger();

    await startAt(berlin('2026-11-02T15:00:00'), [atEdge], log);
    const [over] = await startAt(berlin('2026-11-02T15:01:00'), [justOver], log);
    const [late] = await startAt(berlin('2026-11-02T16:00:00'), [later], log);

    expect(ran).toEqual([{ job: 'report:edge', at: '2026-11-02T08:00:00.000Z', late: true }]);
    expect(over).toMatchObject({ action: 'skip' });
    expect(late).toMatchObject({ action: 'skip' });
    const warnings = records().filter((r) => r.event === 'catch_up.skipped');
    expect(warnings.map((w) => [w.level, w.job, w.missed])).toEqual([
      ['warn', 'report:over', ['2026-11-02T08:00:00.000Z']],
      ['warn', 'report:later', ['2026-11-02T08:00:00.000Z']],
    ]);
    expect(String(warnings[0]!.msg)).toMatch(/older than the 360-minute grace, not sent/);
    // Skipped ticks are not recorded as runs: the memory still says yesterday.
    expect((await jobRunsOf(db.sql, 'report:over')).map((r) => r.scheduledFor.toISOString())).toEqual([
      '2026-11-01T08:00:00.000Z',
    ]);
  });

  it('a restart just after the tick runs it, not marked late; nothing missed before today’s tick; a first start sends nothing; three days down sends one', async () => {
    const ran: Array<{ job: string; at: string; late: boolean }> = [];
    const early = reportJob('report:early', ran);
    const fresh = reportJob('report:fresh', ran);
    const away = reportJob('report:away', ran);
    await ranYesterday(early.name);
    const id = await claimRun(db.sql, {
      job: away.name,
      scheduledFor: berlin('2026-10-29T09:00:00'),
      startedAt: berlin('2026-10-29T09:00:01'),
      instanceId: 'x:1:0',
      late: false,
    });
    await finishRun(db.sql, id!, { finishedAt: berlin('2026-10-29T09:00:05'), outcome: 'ok', error: null });
    const { log, records } = await logger();

    const soon = reportJob('report:soon', ran);
    await ranYesterday(soon.name);
    await startAt(berlin('2026-11-02T09:01:30'), [soon], log);
    expect(ran).toEqual([{ job: 'report:soon', at: '2026-11-02T08:00:00.000Z', late: false }]);
    ran.length = 0;

    const decisions = await startAt(berlin('2026-11-02T08:30:00'), [early, fresh], log);
    expect(decisions.map((d) => [d.job, d.action])).toEqual([
      ['report:early', 'none'],
      ['report:fresh', 'no_history'],
    ]);
    const [awayDecision] = await startAt(berlin('2026-11-02T09:45:00'), [away], log);
    expect(awayDecision).toMatchObject({ action: 'run' });
    expect(awayDecision!.skipped.map((d) => d.toISOString())).toEqual([
      '2026-11-01T08:00:00.000Z',
      '2026-10-31T08:00:00.000Z',
      '2026-10-30T08:00:00.000Z',
    ]);
    expect(ran).toEqual([{ job: 'report:away', at: '2026-11-02T08:00:00.000Z', late: true }]);
    expect(records().find((r) => r.event === 'catch_up.skipped' && r.job === 'report:away')).toMatchObject({
      level: 'warn',
    });
  });

  it('the report job sends the period of the missed tick, marked late, even when the catch-up runs after midnight', async () => {
    const outbox = mkdtempSync(join(tmpdir(), 'pulsebot-catchup-'));
    try {
      const config = parseConfig(
        {
          reports: {
            nightly: {
              period: 'day',
              timezone: 'Europe/Berlin',
              schedule: '0 23 * * *',
              sections: ['kpis'],
              charts: [],
              routes: { slack: ['#ai-usage'], email: [] },
            },
          },
        },
        'test.yaml',
        {},
      );
      const now = berlin('2026-11-03T00:30:00');
      const transports = transportsFromEnv({ PULSEBOT_OUTBOX_DIR: outbox }, config);
      const { log } = await logger();
      const jobs = jobsFromConfig({
        sql: db.sql,
        config,
        transports,
        now: () => now,
        deliveryLog: (l) => (event) => l.info(event, String(event.event)),
      });
      const job = jobs.find((j) => j.name === 'report:nightly')!;
      expect(job).toMatchObject({ catchUp: true, schedule: '0 23 * * *', timezone: 'Europe/Berlin' });
      const id = await claimRun(db.sql, {
        job: job.name,
        scheduledFor: berlin('2026-11-01T23:00:00'),
        startedAt: berlin('2026-11-01T23:00:01'),
        instanceId: 'x:1:0',
        late: false,
      });
      await finishRun(db.sql, id!, { finishedAt: berlin('2026-11-01T23:00:05'), outcome: 'ok', error: null });

      // Missed: the 23:00 tick of 11-02, which reports 11-01 (the last complete day at 23:00).
      await startAt(now, [job], log);
      await transports.close();

      const dirs = readdirSync(outbox);
      expect(dirs).toHaveLength(1);
      expect(dirs[0]).toContain('2026-11-01');
      const slack = JSON.parse(readFileSync(join(outbox, dirs[0]!, 'slack.json'), 'utf8')) as { text: string };
      expect(slack.text).toContain('(sent late)');
      const [, caught] = await jobRunsOf(db.sql, job.name);
      expect(caught).toMatchObject({ late: true, outcome: 'ok' });
    } finally {
      rmSync(outbox, { recursive: true, force: true });
    }
  });
});
