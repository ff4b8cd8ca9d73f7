import type { AlertRoutes, AlertRule } from './rules.js';

/**
 * The rules pulsebot runs without any configuration, for a team whose product makes a few
 * thousand AI calls a day (DESIGN.md). Quiet when all is well: windows long enough to smooth a
 * few failed calls, volume floors so three requests at night cannot page anyone, recovery
 * thresholds so a rate hovering at the threshold does not flap.
 *
 * The config merges a user's `alerts.rules` over these by name (src/config/alerts-schema.ts):
 * a rule of the same name overrides the keys it sets, `enabled: false` switches one off, and
 * other names are added.
 */

/** Who is woken up. */
const ONCALL_ROUTES: Readonly<AlertRoutes> = { slack: ['#ai-oncall'], email: ['oncall@example.com'] };
/** Looked at during working hours. */
const TEAM_ROUTES: Readonly<AlertRoutes> = { slack: ['#ai-alerts'], email: [] };

/**
 * Every 15 seconds: the success-rate alert must reach Slack within 30 s of the failures being
 * logged, and the worst case is one whole tick plus a pass and a post (at every 30 s the
 * benchmark's worst trial was 29.8 s: no margin). A pass reads minutes of indexed rows.
 */
export const DEFAULT_EVALUATE_SCHEDULE = '*/15 * * * * *';

const DEFAULT_RULES: Readonly<Record<string, AlertRule>> = {
  // The one that pages. No pending period: the 15-minute window already demands a sustained
  // drop, and the recovery at 97% keeps a rate hovering around 95% from flapping.
  success_rate: {
    metric: 'success_rate',
    scope: 'all',
    window_minutes: 15,
    condition: { type: 'threshold', op: '<', value: 0.95 },
    min_requests: 50,
    pending_minutes: 0,
    recovery: 0.97,
    repeat_minutes: 60,
    // Silence is the dead-man switch's business (no_new_rows), not this rule's.
    no_data: 'keep',
    severity: 'critical',
    routes: { slack: [...ONCALL_ROUTES.slack], email: [...ONCALL_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // One provider down is hidden in the overall rate when the others carry most traffic.
  provider_success_rate: {
    metric: 'success_rate',
    scope: 'provider',
    window_minutes: 10,
    condition: { type: 'threshold', op: '<', value: 0.8 },
    min_requests: 20,
    pending_minutes: 5,
    recovery: 0.9,
    repeat_minutes: 120,
    no_data: 'keep',
    severity: 'warning',
    routes: { slack: [...TEAM_ROUTES.slack], email: [...TEAM_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // Today so far against the same hours of the same weekday over four weeks, so a Monday is
  // compared with Mondays and 10:00 with 10:00. The floor keeps the small hours out.
  cost_vs_baseline: {
    metric: 'cost_usd',
    scope: 'all',
    window_minutes: 'today',
    condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 1.5 },
    min_requests: 200,
    pending_minutes: 30,
    recovery: 1.3,
    // Once per episode: cost running high is a conversation for the day, not a pager loop.
    repeat_minutes: null,
    no_data: 'keep',
    severity: 'warning',
    routes: { slack: [...TEAM_ROUTES.slack], email: [...TEAM_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // Per service type: images and video are slower than text by design, and a mix shift
  // between them must not look like a slowdown.
  p95_latency: {
    metric: 'p95_latency_ms',
    scope: 'service_type',
    window_minutes: 60,
    condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 2 },
    min_requests: 50,
    pending_minutes: 10,
    recovery: 1.5,
    repeat_minutes: 240,
    no_data: 'keep',
    severity: 'warning',
    routes: { slack: [...TEAM_ROUTES.slack], email: [...TEAM_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // The dead-man switch: if logging breaks, every other rule goes blind. A warning, because a
  // small team can have a quiet half hour at night.
  no_new_rows: {
    metric: 'minutes_since_newest_row',
    scope: 'all',
    window_minutes: null,
    condition: { type: 'threshold', op: '>', value: 30 },
    min_requests: 0,
    pending_minutes: 0,
    recovery: null,
    repeat_minutes: 240,
    // An empty api_usage is the extreme case of no new rows.
    no_data: 'alert',
    severity: 'warning',
    routes: { slack: [...TEAM_ROUTES.slack], email: [...TEAM_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // Twice the default refresh interval (refresh.schedule, every 5 minutes); the pending period
  // lets a fresh install finish its first refresh before "never refreshed" counts.
  refresh_stale: {
    metric: 'refresh_age_minutes',
    scope: 'all',
    window_minutes: null,
    condition: { type: 'threshold', op: '>', value: 10 },
    min_requests: 0,
    pending_minutes: 5,
    recovery: null,
    repeat_minutes: 240,
    no_data: 'alert',
    severity: 'warning',
    routes: { slack: [...TEAM_ROUTES.slack], email: [...TEAM_ROUTES.email] },
    runbook_url: null,
    enabled: true,
  },
  // A message that fails once and goes out on its retry clears within the pending period.
  // Both channels, so a broken Slack is still heard of by email.
  delivery_failures: {
    metric: 'delivery_failures',
    scope: 'all',
    window_minutes: 60,
    condition: { type: 'threshold', op: '>', value: 0 },
    min_requests: 0,
    pending_minutes: 10,
    recovery: null,
    repeat_minutes: 240,
    no_data: 'ok',
    severity: 'warning',
    routes: { slack: ['#ai-alerts'], email: ['ai-team@example.com'] },
    runbook_url: null,
    enabled: true,
  },
};

/** A fresh copy of the default rules (callers may mutate it). */
export function defaultAlertRules(): Record<string, AlertRule> {
  return structuredClone(DEFAULT_RULES) as Record<string, AlertRule>;
}

export const DEFAULT_RULE_NAMES: readonly string[] = Object.keys(DEFAULT_RULES);
