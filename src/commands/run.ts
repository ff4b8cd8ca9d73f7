import type { Command } from 'commander';
import { portFromEnv, slackAppTokenFromEnv } from '../config/env.js';
import { migrationStatus } from '../db/migrate.js';
import { transportsFromEnv } from '../delivery/transports.js';
import { PulsebotError } from '../errors.js';
import { countDelivery, createDaemonMetrics, type DaemonMetrics } from '../daemon/daemon-metrics.js';
import { jobsFromConfig } from '../daemon/jobs.js';
import { createLogger, lineDestination, logLevelFromEnv, type Logger } from '../daemon/logger.js';
import { newInstanceId, startDaemon } from '../daemon/run.js';
import { socketReadinessReason, startSlackButtons } from '../daemon/slack-buttons.js';
import type { SlackSocket } from '../daemon/slack-socket.js';
import type { RenderProcessEvent } from '../render/render-process.js';
import { renderInChildProcess, stopRenderingInChildProcess } from '../render/renderer.js';
import { handleSignals } from '../daemon/shutdown.js';
import { assertDashboardTimezone } from '../db/settings.js';
import { loadCommandConfig, openFromConfig, type CommandContext } from './context.js';

/** Closing the pool and the transports after the drain gets this long before the process is forced out. */
const CLOSE_MARGIN_MS = 10_000;
/** The render process goes after this long without a chart or email to render. */
const RENDER_IDLE_MS = 60_000;
/** A single chart or email that takes longer than this is abandoned (and its process killed). */
const RENDER_JOB_TIMEOUT_MS = 120_000;

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description(
      'the daemon: refresh the views, deliver reports and retries, evaluate alerts on their schedules; serve /healthz, /readyz, /metrics on PULSEBOT_PORT (default 9470)',
    )
    .action(async () => {
      const loaded = loadCommandConfig(ctx);
      const { config } = loaded;
      const level = logLevelFromEnv(ctx.env);
      const port = portFromEnv(ctx.env);
      const appToken = slackAppTokenFromEnv(ctx.env);
      const instanceId = newInstanceId();
      const log = await createLogger({
        level,
        pretty: process.stdout.isTTY === true,
        destination: lineDestination(ctx.io.out),
        base: { instance: instanceId },
      });

      const db = await openFromConfig(ctx, loaded);
      const transports = transportsFromEnv(ctx.env, config);
      let slackSocket: SlackSocket | null = null;
      try {
        await refuseUnmigrated(db.sql);
        await assertDashboardTimezone(db.sql, config.dashboard.timezone);
        const metrics = createDaemonMetrics({
          startedAt: ctx.now(),
          memory: () => process.memoryUsage(),
          now: ctx.now,
        });
        renderInChildProcess({
          idleMs: RENDER_IDLE_MS,
          jobTimeoutMs: RENDER_JOB_TIMEOUT_MS,
          onEvent: (e) => onRenderEvent(e, metrics, log),
        });
        const deliveryLog = (scope: Logger) => (event: Record<string, unknown>) => {
          countDelivery(metrics, event);
          const { level: eventLevel, message, channel, ...fields } = event;
          const text = typeof message === 'string' ? message : String(event.event ?? 'delivery');
          const channelLog = typeof channel === 'string' ? scope.child({ channel }) : scope;
          if (eventLevel === 'error') channelLog.error(fields, text);
          else if (eventLevel === 'warn') channelLog.warn(fields, text);
          else channelLog.info(fields, text);
        };
        const jobs = jobsFromConfig({
          sql: db.sql,
          config,
          transports,
          now: ctx.now,
          deliveryLog,
          alerts: {
            schedule: config.alerts.evaluate_schedule,
            timezone: config.alerts.timezone,
            async evaluate({ log: jobLog }) {
              const { evaluateAlerts } = await import('../alerts/run-alerts.js');
              const result = await evaluateAlerts({
                sql: db.sql,
                config,
                transports,
                now: ctx.now,
                log: deliveryLog(jobLog),
                slackButtons: appToken !== null,
              });
              if (!result.skipped)
                metrics.setAlertStates(
                  result.alerts.map((a) => ({
                    rule: a.rule,
                    scope: a.scope,
                    state: a.status,
                    acknowledgedBy: a.acknowledgedBy,
                  })),
                );
              return {
                evaluated: result.evaluated,
                notifications: result.notifications,
                firing: result.firing.length,
                skipped: result.skipped,
              };
            },
          },
        });
        log.info(
          {
            event: 'daemon.starting',
            database: db.description,
            slack: transports.describe.slack,
            email: transports.describe.email,
          },
          `pulsebot daemon starting against ${db.description}`,
        );

        if (appToken) {
          slackSocket = startSlackButtons({
            appToken,
            env: ctx.env,
            config,
            sql: db.sql,
            transports,
            now: ctx.now,
            log: log.child({ component: 'slack-buttons' }),
            metrics,
            deliveryLog: deliveryLog(log),
          });
        }
        const socket = slackSocket;
        const daemon = await startDaemon({
          sql: db.sql,
          jobs,
          port,
          instanceId,
          log,
          metrics,
          now: ctx.now,
          catchUpGraceMs: config.daemon.catch_up_grace_minutes * 60_000,
          shutdownTimeoutMs: config.daemon.shutdown_timeout_seconds * 1000,
          readinessReasons: () => {
            const reason = socket ? socketReadinessReason(socket.state(), ctx.now()) : null;
            return reason ? [reason] : [];
          },
        });
        const signals = handleSignals({
          signals: process,
          log,
          shutdown: (reason) => daemon.shutdown(reason),
          exit: (code) => process.exit(code),
          forceExitAfterMs: config.daemon.shutdown_timeout_seconds * 1000 + CLOSE_MARGIN_MS,
        });
        const code = await signals.done;
        signals.dispose();
        ctx.setExitCode(code);
      } finally {
        await slackSocket?.stop();
        await stopRenderingInChildProcess();
        await transports.close();
        await db.close();
        log.flush();
      }
    });
}

function onRenderEvent(e: RenderProcessEvent, metrics: DaemonMetrics, log: Logger): void {
  if (e.event === 'render.started') {
    metrics.renderProcessStarts.inc({});
    log.debug(e, `render process ${e.pid} started`);
  } else if (e.event === 'render.memory') {
    metrics.renderProcessMemory.set({}, e.rss);
  } else {
    metrics.renderProcessMemory.set({}, 0);
    if (e.expected) log.debug(e, `render process ${e.pid} stopped (idle)`);
    else
      log.warn(
        e,
        `render process ${e.pid} exited unexpectedly (${e.signal ?? `code ${e.code}`}); the next chart or email starts a new one`,
      );
  }
}

/** A daemon on an unmigrated database would fail every tick; say so once, at start. */
async function refuseUnmigrated(sql: Parameters<typeof migrationStatus>[0]): Promise<void> {
  const status = await migrationStatus(sql);
  if (status.newer.length > 0) {
    throw new PulsebotError(
      'DB_NEWER_THAN_CODE',
      `the database was migrated by a newer pulsebot (migration ${Math.max(...status.newer)}; this version knows ${status.known})`,
      {
        hint: 'upgrade pulsebot; running older code against a newer schema could damage it',
      },
    );
  }
  if (status.legacyChain || status.pending.length > 0 || status.pendingDefinitions.length > 0) {
    const missing = status.legacyChain
      ? 'has the schema of an earlier development build'
      : status.pending.length > 0
        ? `is missing ${status.pending.length} migration(s) (${status.pending.join(', ')})`
        : `has ${status.pendingDefinitions.length} outdated definition(s) (${status.pendingDefinitions.join(', ')})`;
    throw new PulsebotError('SCHEMA_INCOMPATIBLE', `the database ${missing}`, {
      hint: 'run `pulsebot migrate` first',
    });
  }
}
