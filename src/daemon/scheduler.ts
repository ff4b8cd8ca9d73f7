import { Cron } from 'croner';
import { describeError, type Tick } from './job-runner.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import type { JobSpec } from './jobs.js';
import { scoped, type Logger } from './logger.js';

/**
 * Puts each job on a croner timer in its own time zone and keeps track of what is running, so
 * shutdown can stop the timers and wait for the runs in flight. croner is told `protect` (a
 * tick that comes while the previous run is still going is skipped, not queued) and `catch`
 * (a rejected run never becomes an unhandled rejection that kills the process).
 */

export interface SchedulerOptions {
  jobs: readonly JobSpec[];
  /** Runs one tick; expected never to throw (job-runner.ts), but a throw is caught and logged. */
  runTick(job: JobSpec, tick: Tick): Promise<unknown>;
  log: Logger;
  metrics: DaemonMetrics;
}

export interface Scheduler {
  readonly jobs: readonly JobSpec[];
  start(): void;
  /** No new ticks from here on; runs in flight go on. */
  stop(): void;
  /** Runs a tick outside the timers (catch-up), tracked like the others; nothing after stop(). */
  run(job: JobSpec, tick: Tick): Promise<void>;
  inFlight(): number;
  /** Waits for the runs in flight, at most `timeoutMs`; true when none is left. */
  drain(timeoutMs: number): Promise<boolean>;
  /** When the job's timer last fired in this process (a tick another replica ran counts too). */
  lastTickAt(job: string): Date | undefined;
}

/**
 * The tick a timer firing at `firedAt` belongs to: the latest scheduled time at or before it.
 * croner fires at or just after the scheduled second; every replica maps that to the same instant.
 */
export function scheduledTimeOf(cron: Cron, firedAt: Date): Date {
  return (
    cron.previousRuns(1, new Date(firedAt.getTime() + 1))[0] ?? new Date(Math.floor(firedAt.getTime() / 1000) * 1000)
  );
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { jobs, log, metrics } = options;
  const crons: Cron[] = [];
  const running = new Set<Promise<void>>();
  const lastTicks = new Map<string, Date>();
  let stopped = false;

  const track = (job: JobSpec, tick: Tick): Promise<void> => {
    const p = options.runTick(job, tick).then(
      () => undefined,
      (error: unknown) => {
        scoped(log, { job: job.name }).error(
          { event: 'job.crashed', error: describeError(error) },
          `${job.name}: unexpected error outside the job: ${describeError(error)}`,
        );
      },
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  return {
    jobs,
    start() {
      if (stopped) throw new Error('scheduler: started after stop');
      for (const job of jobs) {
        const jobLog = scoped(log, { job: job.name });
        const cron: Cron = new Cron(
          job.schedule,
          {
            timezone: job.timezone,
            protect: () => {
              metrics.jobTicksSkipped.inc({ job: job.name, reason: 'overrun' });
              jobLog.warn({ event: 'job.overrun' }, `${job.name}: tick skipped, the previous run is still going`);
            },
            // Only reached if the tick function itself breaks; must not throw (croner swallows it).
            catch: (error: unknown) => {
              try {
                jobLog.error(
                  { event: 'job.crashed', error: describeError(error) },
                  `${job.name}: tick failed outside the job`,
                );
              } catch {
                // The logger itself failed: there is nowhere left to report it, and croner would swallow a throw.
              }
            },
          },
          async () => {
            if (stopped) return;
            const firedAt = new Date();
            lastTicks.set(job.name, firedAt);
            await track(job, { scheduledFor: scheduledTimeOf(cron, firedAt), late: false });
          },
        );
        crons.push(cron);
      }
    },
    stop() {
      stopped = true;
      for (const c of crons) c.stop();
    },
    run(job, tick) {
      // A catch-up decided just before a shutdown must not start once draining has begun.
      if (stopped) {
        scoped(log, { job: job.name }).info(
          { event: 'job.not_started', scheduledFor: tick.scheduledFor.toISOString() },
          `${job.name}: not started, shutting down`,
        );
        return Promise.resolve();
      }
      return track(job, tick);
    },
    inFlight: () => running.size,
    async drain(timeoutMs) {
      if (running.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      // Runs started while we wait (a catch-up) are waited for too.
      const all = (async () => {
        while (running.size > 0) await Promise.allSettled([...running]);
        return true as const;
      })();
      try {
        return await Promise.race([all, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    lastTickAt: (name) => lastTicks.get(name),
  };
}
