/**
 * What an alert rule is, as the rest of pulsebot sees it once the config is validated
 * (src/config/alerts-schema.ts). The query layer turns a rule into observations, evaluate.ts
 * judges them, state-machine.ts decides what to say, message.ts says it.
 */

export const ALERT_METRICS = [
  /** successful / total requests, a fraction (0.95 = 95%); null at 0 requests. */
  'success_rate',
  /** failed / total requests, a fraction; null at 0 requests. */
  'error_rate',
  /** Sum of cost_usd. */
  'cost_usd',
  /** Number of api_usage rows. */
  'requests',
  /** p95 of latency_ms; null without latencies. */
  'p95_latency_ms',
  /** Minutes from the newest api_usage row (not from the future) to now; null for an empty table. */
  'minutes_since_newest_row',
  /**
   * Minutes from the last successful refresh to now; null if none ever succeeded. A failing
   * refresh does not move it, so one rule covers "not refreshed" and "refresh failing".
   */
  'refresh_age_minutes',
  /** Outbox messages of the window whose latest attempt failed (still retrying or given up). */
  'delivery_failures',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** Metrics measured at an instant: they take no window. */
export const INSTANT_METRICS: readonly AlertMetric[] = ['minutes_since_newest_row', 'refresh_age_minutes'];
/** Fractions from 0 to 1: their thresholds must be too. */
export const RATE_METRICS: readonly AlertMetric[] = ['success_rate', 'error_rate'];
/** Metrics of pulsebot itself or of the whole table: no request count, no baseline. */
export const SYSTEM_METRICS: readonly AlertMetric[] = [
  'minutes_since_newest_row',
  'refresh_age_minutes',
  'delivery_failures',
];
/** Metrics with no provider/model dimension: scope must be `all`. */
export const UNSCOPED_METRICS: readonly AlertMetric[] = ['refresh_age_minutes', 'delivery_failures'];

export const ALERT_SCOPES = ['all', 'provider', 'model', 'service_type'] as const;
export type AlertScope = (typeof ALERT_SCOPES)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a missing value (no traffic, empty table, no baseline) does: `ok` counts as healthy (a
 * pending alert clears, a firing one resolves), `keep` changes nothing, `alert` counts as a breach.
 */
export const NO_DATA_POLICIES = ['ok', 'keep', 'alert'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

/**
 * What a `change` condition compares with, always the same span of time shifted back:
 * - previous_day: 24 hours earlier (a `today` window: yesterday from midnight to the same time of day);
 * - same_weekday: 7 days earlier;
 * - baseline_4w: the mean over the same weekday of the 4 previous weeks, weeks without traffic
 *   left out (none left: no baseline).
 * Days follow `alerts.timezone`.
 */
export const CHANGE_BASELINES = ['previous_day', 'same_weekday', 'baseline_4w'] as const;
export type ChangeBaseline = (typeof CHANGE_BASELINES)[number];

/** `<` breaches below, `>` above; a value equal to the threshold does not breach. */
export type Comparison = '<' | '>';

export type AlertCondition =
  | { type: 'threshold'; op: Comparison; value: number }
  /** Breaches when value op ratio × baseline (cost > 1.5 × baseline). */
  | { type: 'change'; vs: ChangeBaseline; op: Comparison; ratio: number };

export interface AlertRoutes {
  slack: string[];
  email: string[];
  /** PagerDuty Events API v2 integration keys (secrets); absent: none. */
  pagerduty?: string[];
  /** Webhook URLs, signed with PULSEBOT_WEBHOOK_SECRET; absent: none. */
  webhook?: string[];
}

/**
 * A window of minutes ending now, `today` (from midnight in `alerts.timezone` to now), or null
 * for instant metrics.
 */
export type AlertWindow = number | 'today' | null;

export interface AlertRule {
  metric: AlertMetric;
  scope: AlertScope;
  window_minutes: AlertWindow;
  condition: AlertCondition;
  /** Below this many requests in the window the rule neither fires nor resolves. */
  min_requests: number;
  /** How long a breach must last before it fires; 0 fires on the first breaching evaluation. */
  pending_minutes: number;
  /**
   * Where a firing alert counts as healthy again, in the units of condition.value (threshold) or
   * condition.ratio (change), on the healthy side of it; null resolves at the threshold itself.
   */
  recovery: number | null;
  /** Re-notify while firing this often; null never. */
  repeat_minutes: number | null;
  no_data: NoDataPolicy;
  severity: Severity;
  routes: AlertRoutes;
  runbook_url: string | null;
  enabled: boolean;
}

export interface NamedAlertRule extends AlertRule {
  name: string;
}

/** A time span during which notifications of the listed rules (all when null) are suppressed. */
export type MaintenanceWindow =
  | { name: string; rules: string[] | null; start: Date; end: Date }
  | { name: string; rules: string[] | null; cron: string; duration_minutes: number; timezone: string };

export interface AlertsConfig {
  /** When the daemon evaluates the rules (croner syntax; 6 fields for seconds). */
  evaluate_schedule: string;
  /** Where `today` windows and the day-based baselines begin their days. */
  timezone: string;
  maintenance_windows: MaintenanceWindow[];
  /**
   * Who may use the buttons on Slack alerts: user ids (U…, W…) and user group ids (S…). Empty:
   * anyone in the channel.
   */
  slack_responders: string[];
  rules: Record<string, AlertRule>;
}

/**
 * The key of one scope value: "all", "provider=openai", "model=gpt-4o-mini",
 * "service_type=images". States, observations and silences all use it.
 */
export function scopeKey(scope: AlertScope, value?: string): string {
  if (scope === 'all') return 'all';
  if (value === undefined || value === '') throw new RangeError(`a ${scope} scope needs a value`);
  return `${scope}=${value}`;
}

/** The dimension and value of a scope key ("provider=openai" → provider, openai). */
export function parseScopeKey(key: string): { scope: AlertScope; value: string | null } {
  if (key === 'all') return { scope: 'all', value: null };
  const at = key.indexOf('=');
  const scope = key.slice(0, at);
  if (at <= 0 || !(ALERT_SCOPES as readonly string[]).includes(scope) || scope === 'all') {
    throw new RangeError(`not a scope key: ${JSON.stringify(key)} (expected "all" or e.g. "provider=openai")`);
  }
  return { scope: scope as AlertScope, value: key.slice(at + 1) };
}

/** The enabled rules with their names, in name order (a stable evaluation order). */
export function enabledRules(rules: Record<string, AlertRule>): NamedAlertRule[] {
  return Object.entries(rules)
    .filter(([, rule]) => rule.enabled)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, rule]) => ({ name, ...rule }));
}
