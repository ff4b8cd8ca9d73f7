import { deliverConfigOf } from '../delivery/deliver-config.js';
import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { refreshViews } from '../db/refresh.js';
import { deliverDue } from '../delivery/dispatch.js';
import type { Transports } from '../delivery/transports.js';
import { PulsebotError } from '../errors.js';
import { resolvePeriods } from '../metrics/period.js';
import type { DeliveryLog } from '../report/send-report.js';
import { pruneJobRuns } from './job-runs.js';
import type { Logger } from './logger.js';

/**
 * What the daemon runs: one entry per job, each a croner schedule in a time zone and a function.
 * The list is data, so adding a job is one entry in `jobsFromConfig`.
 */

export interface JobContext {
  /** The tick this run belongs to: the same instant on every replica. */
  scheduledFor: Date;
  /** A catch-up run of a tick the daemon missed while it was down. */
  late: boolean;
  now: () => Date;
  /** Scoped to the job. */
  log: Logger;
}

export interface JobSpec {
  /** "refresh", "deliver", "alerts", "prune", "report:<name>". */
  name: string;
  /** croner syntax; 6 fields for seconds. */
  schedule: string;
  timezone: string;
  /** Run a missed tick on start (within the grace): reports, which people wait for. */
  catchUp: boolean;
  /** Successful runs logged at debug instead of info: jobs that tick every few seconds. */
  quiet: boolean;
  /** The fields returned are logged with the run's end (counts, sizes). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a job may be an async function that returns nothing
  run(ctx: JobContext): Promise<Record<string, unknown> | void>;
}

/** The alert evaluator, wired in by the alerting code; the daemon only schedules it. */
export interface AlertsJob {
  schedule: string;
  timezone?: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: as JobSpec.run
  evaluate(ctx: JobContext): Promise<Record<string, unknown> | void>;
}

export interface JobDeps {
  sql: Sql;
  config: PulsebotConfig;
  transports: Transports;
  now: () => Date;
  /** Receives the outbox's delivery events (logged and counted by the daemon). */
  deliveryLog: (log: Logger) => DeliveryLog;
  alerts?: AlertsJob;
}

/** Once a day, off the hour (when reports and everyone else's cron jobs run). */
const PRUNE_SCHEDULE = '17 3 * * *';
/** Job history kept; each job's newest run is kept regardless (it is the catch-up memory). */
const JOB_RUNS_RETENTION_DAYS = 14;
/** Sent outbox rows kept (and their chart blobs); a report period is never re-sent after that long. */
const OUTBOX_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

function reportJobName(report: string): string {
  return `report:${report}`;
}

export function jobsFromConfig(deps: JobDeps): JobSpec[] {
  const { config } = deps;
  const jobs: JobSpec[] = [
    {
      name: 'refresh',
      schedule: config.refresh.schedule,
      timezone: 'UTC',
      catchUp: false,
      quiet: false,
      run: async ({ log }) => refreshJob(deps, log),
    },
    {
      name: 'deliver',
      schedule: config.daemon.deliver_schedule,
      timezone: 'UTC',
      catchUp: false,
      quiet: true,
      run: async ({ log }) => deliverJob(deps, log),
    },
    {
      name: 'prune',
      schedule: PRUNE_SCHEDULE,
      timezone: 'UTC',
      catchUp: false,
      quiet: false,
      run: async ({ now }) => pruneJob(deps.sql, now()),
    },
    ...Object.entries(config.reports).map(
      ([name, report]): JobSpec => ({
        name: reportJobName(name),
        schedule: report.schedule,
        timezone: report.timezone,
        catchUp: true,
        quiet: false,
        run: async ({ scheduledFor, late, log }) => {
          // The period is the one that was last complete at the tick, not when the run happens
          // to start: a catch-up after midnight still sends the day the missed tick would have.
          const date = resolvePeriods({ kind: report.period, timeZone: report.timezone, now: scheduledFor }).current
            .firstDay;
          // Loaded at the first report: the digest builder brings vega, sharp and mjml (over
          // 100 MB resident), which an idle daemon between reports need not carry.
          const { sendReport } = await import('../report/send-report.js');
          const result = await sendReport(
            { sql: deps.sql, config, transports: deps.transports, now: deps.now, log: deps.deliveryLog(log) },
            { report: name, date, late },
          );
          return {
            period: result.model.snapshot.period.label,
            queued: result.queued.inserted,
            alreadyQueued: result.queued.existing,
            ...result.delivered,
          };
        },
      }),
    ),
  ];
  if (deps.alerts) {
    const alerts = deps.alerts;
    jobs.push({
      name: 'alerts',
      schedule: alerts.schedule,
      timezone: alerts.timezone ?? 'UTC',
      catchUp: false,
      quiet: true,
      run: (ctx) => alerts.evaluate(ctx),
    });
  }
  return jobs;
}

async function deliverJob(deps: JobDeps, log: Logger): Promise<Record<string, unknown>> {
  const result = await deliverDue({
    sql: deps.sql,
    transports: deps.transports,
    now: deps.now,
    config: deliverConfigOf(deps.config),
    log: deps.deliveryLog(log),
    // A failure notice with no route on the other channel goes to the file outbox.
    files: deps.transports.files,
  });
  return { ...result };
}

async function refreshJob(deps: JobDeps, log: Logger): Promise<Record<string, unknown>> {
  const results = await refreshViews(deps.sql, {
    dashboardTimezone: deps.config.dashboard.timezone,
    statementTimeoutSeconds: deps.config.refresh.statement_timeout_seconds,
    log,
  });
  const failed = results.filter((r) => r.outcome === 'failed');
  if (failed.length > 0) {
    throw new PulsebotError(
      'REFRESH_FAILED',
      `${failed.map((r) => `${r.view}: ${r.error ?? 'failed'}`).join('; ')} (recorded in pulsebot.refresh_log)`,
    );
  }
  return { folded: results.find((r) => r.view === 'rollups')?.rows ?? 0, views: results.length - 1 };
}

async function pruneJob(sql: Sql, now: Date): Promise<Record<string, unknown>> {
  const jobRuns = await pruneJobRuns(sql, new Date(now.getTime() - JOB_RUNS_RETENTION_DAYS * DAY_MS));
  const [outbox] = await sql<{ rows_deleted: number; blobs_deleted: number }[]>`
    select rows_deleted, blobs_deleted from pulsebot.prune_outbox(${new Date(now.getTime() - OUTBOX_RETENTION_DAYS * DAY_MS)})`;
  return { jobRuns, outboxRows: outbox?.rows_deleted ?? 0, outboxBlobs: outbox?.blobs_deleted ?? 0 };
}
