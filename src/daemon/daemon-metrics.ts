import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './metrics-registry.js';

/**
 * The metrics `pulsebot run` serves on /metrics. Everything that counts goes through here, so
 * the names in dashboards and alert rules are defined in one place.
 */

export type DeliveryOutcome = 'sent' | 'retry' | 'dead' | 'lease_lost';

export interface AlertStateSample {
  rule: string;
  scope: string;
  state: string;
  /** The Slack user who acknowledged the firing episode, if one did. */
  acknowledgedBy?: string | null;
}

export interface DaemonMetrics {
  registry: MetricsRegistry;
  jobRuns: Counter;
  jobDuration: Histogram;
  jobLastSuccess: Gauge;
  jobTicksSkipped: Counter;
  deliveries: Counter;
  /** Render process starts (src/render/); its memory while it runs, 0 when it has gone. */
  renderProcessStarts: Counter;
  renderProcessMemory: Gauge;
  /** Clicks on the Slack alert buttons this instance applied or refused. */
  alertActions: Counter;
  /** 1 while the Slack Socket Mode connection is up; absent when Socket Mode is off. */
  slackSocketConnected: Gauge;
  /** Replaces every alert-state series with the current states (one series of value 1 per rule × scope). */
  setAlertStates(states: readonly AlertStateSample[]): void;
}

/** Seconds: a delivery run takes milliseconds when nothing is due; a refresh or a report can take minutes. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function createDaemonMetrics(opts: {
  startedAt: Date;
  memory: () => NodeJS.MemoryUsage;
  now: () => Date;
}): DaemonMetrics {
  const registry = new MetricsRegistry();
  const jobRuns = registry.counter('pulsebot_job_runs_total', 'Job runs by outcome (ticks this instance ran).', [
    'job',
    'outcome',
  ]);
  const jobDuration = registry.histogram(
    'pulsebot_job_duration_seconds',
    'How long job runs took.',
    ['job'],
    DURATION_BUCKETS,
  );
  const jobLastSuccess = registry.gauge(
    'pulsebot_job_last_success_timestamp_seconds',
    'When a run of the job last succeeded on this instance (Unix time).',
    ['job'],
  );
  const jobTicksSkipped = registry.counter(
    'pulsebot_job_ticks_skipped_total',
    'Ticks this instance did not run: claimed by another replica, or the previous run was still going.',
    ['job', 'reason'],
  );
  const deliveries = registry.counter('pulsebot_deliveries_total', 'Outbox send attempts by channel and outcome.', [
    'channel',
    'outcome',
  ]);
  const alertState = registry.gauge('pulsebot_alert_state', 'Current state of each alert rule and scope (value 1).', [
    'rule',
    'scope',
    'state',
  ]);
  const alertAcknowledged = registry.gauge(
    'pulsebot_alert_acknowledged',
    'Firing alerts whose episode was acknowledged from Slack (value 1), with who acknowledged.',
    ['rule', 'scope', 'user'],
  );
  const alertActions = registry.counter(
    'pulsebot_alert_actions_total',
    'Clicks on Slack alert buttons handled by this instance, by action and outcome (applied, not_allowed, already_resolved, …).',
    ['action', 'outcome'],
  );
  const slackSocketConnected = registry.gauge(
    'pulsebot_slack_socket_connected',
    'Whether the Slack Socket Mode connection that receives button clicks is up (1) or down (0).',
  );
  const renderProcessStarts = registry.counter(
    'pulsebot_render_process_starts_total',
    'Render process starts (charts and email HTML render in a child process that exits when idle).',
    [],
  );
  const renderProcessMemory = registry.gauge(
    'pulsebot_render_process_resident_memory_bytes',
    'Resident memory of the render process at its last job; 0 when it is not running.',
  );
  renderProcessMemory.set({}, 0);
  const rss = registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const heap = registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.');
  const start = registry.gauge(
    'process_start_time_seconds',
    'Start time of the process since the Unix epoch in seconds.',
  );
  const uptime = registry.gauge('pulsebot_uptime_seconds', 'Seconds since the daemon started.');
  registry.onCollect(() => {
    const m = opts.memory();
    rss.set({}, m.rss);
    heap.set({}, m.heapUsed);
    start.set({}, opts.startedAt.getTime() / 1000);
    uptime.set({}, Math.max(0, (opts.now().getTime() - opts.startedAt.getTime()) / 1000));
  });
  return {
    registry,
    jobRuns,
    jobDuration,
    jobLastSuccess,
    jobTicksSkipped,
    deliveries,
    renderProcessStarts,
    renderProcessMemory,
    alertActions,
    slackSocketConnected,
    setAlertStates(states) {
      alertState.reset();
      alertAcknowledged.reset();
      for (const s of states) {
        alertState.set({ rule: s.rule, scope: s.scope, state: s.state }, 1);
        if (s.acknowledgedBy && s.state === 'firing')
          alertAcknowledged.set({ rule: s.rule, scope: s.scope, user: s.acknowledgedBy }, 1);
      }
    },
  };
}

/**
 * The outbox reports each send through structured events (src/delivery/dispatch.ts); this maps
 * them onto pulsebot_deliveries_total.
 */
export function countDelivery(metrics: DaemonMetrics, event: Record<string, unknown>): void {
  const outcome: DeliveryOutcome | undefined =
    event.event === 'outbox.sent'
      ? 'sent'
      : event.event === 'outbox.retry'
        ? 'retry'
        : event.event === 'outbox.dead'
          ? 'dead'
          : event.event === 'outbox.lease_lost'
            ? 'lease_lost'
            : undefined;
  if (!outcome) return;
  const channel = typeof event.channel === 'string' ? event.channel : 'unknown';
  metrics.deliveries.inc({ channel, outcome });
}
