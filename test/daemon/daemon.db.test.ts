import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/config/env.js';
import { openDatabase, type Database } from '../../src/db/connect.js';
import { createDaemonMetrics, type DaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { jobRunsOf } from '../../src/daemon/job-runs.js';
import type { JobSpec } from '../../src/daemon/jobs.js';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import { startDaemon, type Daemon } from '../../src/daemon/run.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * The daemon in-process on a real database, with jobs of our own (every second): its endpoints,
 * what a failing job does to the others, readiness when a job hangs or the database goes away,
 * and shutdown while a run is in flight.
 */

interface Started {
  daemon: Daemon;
  metrics: DaemonMetrics;
  records: () => Array<Record<string, unknown>>;
  url: (path: string) => string;
}

async function start(
  db: Database,
  jobs: JobSpec[],
  shutdownTimeoutMs = 20_000,
  readinessReasons?: () => string[],
): Promise<Started> {
  const lines: string[] = [];
  const log = await createLogger({
    level: 'debug',
    pretty: false,
    destination: lineDestination((l) => lines.push(l)),
    base: { instance: 'test:1:abc' },
  });
  const now = () => new Date();
  const metrics = createDaemonMetrics({ startedAt: now(), now, memory: () => process.memoryUsage() });
  const daemon = await startDaemon({
    sql: db.sql,
    jobs,
    port: 0,
    instanceId: 'test:1:abc',
    log,
    metrics,
    now,
    catchUpGraceMs: 6 * 3_600_000,
    shutdownTimeoutMs,
    ...(readinessReasons ? { readinessReasons } : {}),
  });
  return {
    daemon,
    metrics,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    url: (p) => `http://127.0.0.1:${daemon.port}${p}`,
  };
}

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function everySecond(name: string, run: JobSpec['run']): JobSpec {
  return { name, schedule: '* * * * * *', timezone: 'UTC', catchUp: false, quiet: true, run };
}

describe.each(TARGETS)('daemon on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('serves /healthz, /readyz and /metrics; a throwing job is counted and stored while the others go on; a hung job makes it unready; shutdown waits for it', async () => {
    let hang = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stuckRuns = 0;
    const jobs = [
      everySecond('fine', async ({ now }) => ({ at: now().toISOString() })),
      everySecond('boom', async () => {
        throw new Error('kaboom');
      }),
      everySecond('stuck', async () => {
        stuckRuns++;
        if (hang) await gate;
      }),
    ];
    const s = await start(db, jobs);
    try {
      const health = await get(s.url('/healthz'));
      expect(health).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
      expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
      expect((await get(s.url('/nope'))).status).toBe(404);

      await until('two failed boom runs and three ok fine runs', () =>
        s.metrics.jobRuns.get({ job: 'boom', outcome: 'failed' }) >= 2 &&
        s.metrics.jobRuns.get({ job: 'fine', outcome: 'ok' }) >= 3
          ? true
          : undefined,
      );

      const ready = await get(s.url('/readyz'));
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({
        status: 'ready',
        reasons: [],
        database: { ok: true },
        staleJobs: [],
      });

      const metrics = await get(s.url('/metrics'));
      expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = parsePrometheusText(metrics.body);
      expect(sampleValue(families, 'pulsebot_job_runs_total', { job: 'fine', outcome: 'ok' })).toBeGreaterThanOrEqual(
        3,
      );
      expect(
        sampleValue(families, 'pulsebot_job_runs_total', { job: 'boom', outcome: 'failed' }),
      ).toBeGreaterThanOrEqual(2);
      expect(sampleValue(families, 'pulsebot_job_runs_total', { job: 'boom', outcome: 'ok' })).toBeUndefined();
      expect(sampleValue(families, 'pulsebot_job_duration_seconds_count', { job: 'fine' })).toBeGreaterThanOrEqual(3);
      expect(sampleValue(families, 'pulsebot_job_last_success_timestamp_seconds', { job: 'fine' })).toBeGreaterThan(
        Date.now() / 1000 - 60,
      );
      expect(sampleValue(families, 'pulsebot_job_last_success_timestamp_seconds', { job: 'boom' })).toBeUndefined();
      expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
      expect(sampleValue(families, 'pulsebot_uptime_seconds')).toBeGreaterThan(0);
      for (const name of ['pulsebot_deliveries_total', 'pulsebot_alert_state', 'pulsebot_job_ticks_skipped_total'])
        expect(families.get(name)).toBeDefined();

      // The failures are in the ledger and the log, each with the job's scope.
      const boomRuns = await jobRunsOf(db.sql, 'boom');
      expect(boomRuns.length).toBeGreaterThanOrEqual(2);
      expect(
        boomRuns
          .filter((r) => r.outcome !== null)
          .every((r) => r.outcome === 'failed' && r.error === 'kaboom' && r.instanceId === 'test:1:abc'),
      ).toBe(true);
      expect(s.records().filter((r) => r.event === 'job.failed' && r.job === 'boom')[0]).toMatchObject({
        level: 'error',
        error: 'kaboom',
        instance: 'test:1:abc',
      });
      // One scheduled second, one run: consecutive ticks of "fine" have distinct, whole-second times.
      const fineTimes = (await jobRunsOf(db.sql, 'fine')).map((r) => r.scheduledFor.getTime());
      expect(new Set(fineTimes).size).toBe(fineTimes.length);
      expect(fineTimes.every((t) => t % 1000 === 0)).toBe(true);

      // A run that hangs: its ticks are skipped (overrun) and readiness notices within 2× the interval.
      hang = true;
      const unready = await until('/readyz to report the stuck job', async () => {
        const r = await get(s.url('/readyz'));
        return r.status === 503 ? r : undefined;
      });
      const body = JSON.parse(unready.body) as { status: string; reasons: string[]; staleJobs: Array<{ job: string }> };
      expect(body.status).toBe('not ready');
      expect(body.staleJobs.map((j) => j.job)).toEqual(['stuck']);
      expect(body.reasons[0]).toMatch(/^job stuck has not ticked since \S+ \(interval 1 s\)$/);
      expect(s.metrics.jobTicksSkipped.get({ job: 'stuck', reason: 'overrun' })).toBeGreaterThan(0);
      const fineBefore = s.metrics.jobRuns.get({ job: 'fine', outcome: 'ok' });
      await until('fine to keep running', () =>
        s.metrics.jobRuns.get({ job: 'fine', outcome: 'ok' }) > fineBefore ? true : undefined,
      );

      // Shutdown: no new ticks, /healthz says so, and it waits for the hung run until released.
      const stopping = s.daemon.shutdown('test');
      expect(JSON.parse((await get(s.url('/healthz'))).body)).toEqual({ status: 'shutting down' });
      const runsAtStop = stuckRuns;
      const fineAtStop =
        s.metrics.jobRuns.get({ job: 'fine', outcome: 'ok' }) +
        s.metrics.jobRuns.get({ job: 'fine', outcome: 'failed' });
      await new Promise((r) => setTimeout(r, 1_500));
      expect(s.daemon.scheduler.inFlight()).toBe(1);
      release();
      await expect(stopping).resolves.toBe(0);
      expect(stuckRuns).toBe(runsAtStop);
      expect(
        s.metrics.jobRuns.get({ job: 'fine', outcome: 'ok' }) +
          s.metrics.jobRuns.get({ job: 'fine', outcome: 'failed' }),
      ).toBeLessThanOrEqual(fineAtStop + 1);
      await expect(fetch(s.url('/healthz'))).rejects.toThrow();
      expect(s.records().map((r) => r.event)).toEqual(
        expect.arrayContaining(['daemon.started', 'daemon.draining', 'daemon.stopped']),
      );
    } finally {
      release();
      await s.daemon.shutdown('cleanup');
    }
  });

  it('shutdown gives up at its bound and says so (exit code 1)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await start(db, [everySecond('forever', () => gate)], 1_000);
    try {
      await until('the first run', () => (s.daemon.scheduler.inFlight() > 0 ? true : undefined));
      await expect(s.daemon.shutdown('test')).resolves.toBe(1);
      expect(s.records().find((r) => r.event === 'daemon.abandoned')).toMatchObject({ level: 'error', inFlight: 1 });
    } finally {
      release();
      await s.daemon.scheduler.drain(30_000);
    }
  });

  it('/readyz reports a part outside the jobs that is down (the Slack Socket Mode connection), and recovers with it', async () => {
    let down: string[] = [];
    const s = await start(
      db,
      [{ name: 'daily', schedule: '0 9 * * *', timezone: 'UTC', catchUp: false, quiet: false, run: async () => {} }],
      2_000,
      () => down,
    );
    try {
      expect((await get(s.url('/readyz'))).status).toBe(200);
      down = ['Slack Socket Mode down since 2026-11-24T09:00:00.000Z: alert buttons do nothing'];
      const unready = await get(s.url('/readyz'));
      expect(unready.status).toBe(503);
      expect(JSON.parse(unready.body)).toMatchObject({ status: 'not ready', reasons: down });
      down = [];
      expect((await get(s.url('/readyz'))).status).toBe(200);
    } finally {
      await s.daemon.shutdown('test');
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('readiness when the database goes away (PostgreSQL)', () => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('/readyz: 200, then 503 when select 1 hangs (2 s bound), then 503 when the server is gone', async () => {
    if (db.target.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const proxy = await startTcpProxy({ host: db.target.host, port: db.target.port });
    const url = new URL(db.target.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const viaProxy = await openDatabase(parseDatabaseUrl(url.toString(), 'TEST_DATABASE_URL'), {
      poolMax: 2,
      connectTimeoutSeconds: 2,
      statementTimeoutSeconds: 10,
    });
    const s = await start(
      viaProxy,
      [{ name: 'daily', schedule: '0 9 * * *', timezone: 'UTC', catchUp: false, quiet: false, run: async () => {} }],
      2_000,
    );
    try {
      expect((await get(s.url('/readyz'))).status).toBe(200);

      proxy.blackhole();
      const hung = await get(s.url('/readyz'));
      expect(hung.status).toBe(503);
      expect(JSON.parse(hung.body)).toMatchObject({
        status: 'not ready',
        // The proxy still accepts connections: the server is there but silent.
        reasons: [`database: no answer to select 1 within 2000 ms (127.0.0.1:${proxy.port} accepts connections)`],
        database: { ok: false },
      });
      expect((await get(s.url('/healthz'))).status).toBe(200);

      await proxy.down();
      const gone = await until('/readyz to see the server gone', async () => {
        const r = await get(s.url('/readyz'));
        const reasons = (JSON.parse(r.body) as { reasons: string[] }).reasons;
        // Refused: the pool's own error, or (while it backs off) the probe's connection's.
        const refused = (x: string) => x.includes('ECONNREFUSED') || x.startsWith('database: select 1 failed');
        return r.status === 503 && reasons.some(refused) ? reasons : undefined;
      });
      expect(gone).toHaveLength(1);
    } finally {
      await s.daemon.shutdown('test');
      await viaProxy.close();
    }
  });
});
