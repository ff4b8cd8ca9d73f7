import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { nextRuns } from '../alerts/schedule.js';
import type { Sql } from '../db/connect.js';
import { catchUp, type CatchUpDecision } from './catch-up.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import { startHttpServer } from './http-server.js';
import { describeError, runTick } from './job-runner.js';
import { lastScheduledRuns } from './job-runs.js';
import type { JobSpec } from './jobs.js';
import type { Logger } from './logger.js';
import { probeDatabase, readiness, staleJobs } from './readiness.js';
import { createScheduler, type Scheduler } from './scheduler.js';

/**
 * The daemon assembled from its parts: the HTTP endpoints, the job timers, catch-up of missed
 * reports, and an orderly shutdown. Everything it touches is passed in (database, jobs, logger,
 * clock), so tests run it in-process against a real database.
 */

/** /readyz: the database must answer `select 1` within this. */
const READINESS_DB_TIMEOUT_MS = 2_000;

export interface DaemonOptions {
  sql: Sql;
  jobs: readonly JobSpec[];
  /** 0: any free port (tests). */
  port: number;
  instanceId: string;
  log: Logger;
  metrics: DaemonMetrics;
  now: () => Date;
  catchUpGraceMs: number;
  shutdownTimeoutMs: number;
  /** Parts outside the jobs that can make the daemon not ready (the Slack Socket Mode connection). */
  readinessReasons?: () => string[];
}

export interface Daemon {
  port: number;
  instanceId: string;
  scheduler: Scheduler;
  startedAt: Date;
  /** Settles when catch-up has decided and its runs have finished. */
  caughtUp: Promise<CatchUpDecision[]>;
  /**
   * Stops the timers, waits for runs in flight up to the bound, closes the HTTP server.
   * 0: everything finished; 1: runs were abandoned at the bound. The caller closes the
   * database and transports afterwards. Calling it again returns the same promise.
   */
  shutdown(reason: string): Promise<0 | 1>;
}

/** "host:pid:random": which daemon ran a tick, in job_runs and on every log line. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { sql, jobs, log, metrics, now } = options;
  const startedAt = now();
  let shuttingDown = false;

  const scheduler = createScheduler({
    jobs,
    log,
    metrics,
    runTick: (job, tick) => runTick({ sql, instanceId: options.instanceId, now, log, metrics }, job, tick),
  });

  const http = await startHttpServer(
    options.port,
    {
      alive: () => !shuttingDown,
      ready: async () =>
        readiness({
          database: await probeDatabase(sql, READINESS_DB_TIMEOUT_MS),
          staleJobs: staleJobs(jobs, scheduler.lastTickAt, startedAt, now()),
          shuttingDown,
          other: options.readinessReasons?.() ?? [],
        }),
      metrics: () => metrics.registry.expose(),
    },
    (error) =>
      log.warn({ event: 'http.error', error: describeError(error) }, `HTTP endpoint error: ${describeError(error)}`),
  );

  scheduler.start();
  log.info(
    {
      event: 'daemon.started',
      port: http.port,
      jobs: jobs.map((j) => ({
        job: j.name,
        schedule: j.schedule,
        timezone: j.timezone,
        next: nextRuns(j.schedule, j.timezone, startedAt, 1)[0]?.toISOString() ?? null,
      })),
    },
    `pulsebot daemon started: ${jobs.length} jobs; /healthz, /readyz, /metrics on port ${http.port}`,
  );

  const caughtUp = (async () => {
    const { decisions, runs } = await catchUp({
      jobs,
      lastRuns: (names) => lastScheduledRuns(sql, names),
      now: startedAt,
      graceMs: options.catchUpGraceMs,
      log,
      run: (job, tick) => scheduler.run(job, tick),
    });
    await Promise.all(runs);
    return decisions;
  })();

  let stopping: Promise<0 | 1> | undefined;
  const shutdown = (reason: string): Promise<0 | 1> => {
    stopping ??= (async () => {
      shuttingDown = true;
      scheduler.stop();
      const inFlight = scheduler.inFlight();
      if (inFlight > 0)
        log.info(
          { event: 'daemon.draining', inFlight, reason },
          `waiting for ${inFlight} run(s) in flight (at most ${options.shutdownTimeoutMs} ms)`,
        );
      const drained = await scheduler.drain(options.shutdownTimeoutMs);
      await http.close();
      if (!drained) {
        log.error(
          { event: 'daemon.abandoned', inFlight: scheduler.inFlight() },
          `${scheduler.inFlight()} run(s) still going after ${options.shutdownTimeoutMs} ms; abandoned (a delivery left mid-send is resumed by the next daemon once its lease expires)`,
        );
        return 1;
      }
      log.info({ event: 'daemon.stopped', reason }, 'pulsebot daemon stopped');
      return 0;
    })();
    return stopping;
  };

  return { port: http.port, instanceId: options.instanceId, scheduler, startedAt, caughtUp, shutdown };
}
