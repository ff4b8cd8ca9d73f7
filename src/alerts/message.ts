import {
  formatAge,
  formatCount,
  formatDuration,
  formatRate,
  formatTimes,
  formatUsd,
  latencyFormat,
} from '../messages/format.js';
import type { Contributor } from './evaluate.js';
import { parseScopeKey, type AlertMetric, type ChangeBaseline, type NamedAlertRule, type Severity } from './rules.js';
import { notificationKey, type AlertNotification } from './state-machine.js';

/**
 * What an alert says, before it is Slack blocks or an email: what is wrong, where, how bad,
 * since when, what contributes, where to look. Pure; times stay Dates (the renderer writes them
 * in its reader's time zone), numbers come with their formatted text so every channel reads
 * the same.
 */

export interface SparkPoint {
  at: Date;
  value: number | null;
}

export interface AlertMessageInput {
  rule: NamedAlertRule;
  notification: AlertNotification;
  /** config dashboard.url, or null. */
  dashboardUrl: string | null;
  /** The metric over the recent past, oldest first, for the sparkline; omitted: none. */
  series?: SparkPoint[];
  /** How many contributors of each kind to list (default 5). */
  maxContributors?: number;
  /** Who acknowledged the episode from Slack, for the resolve to say. */
  acknowledgement?: { userId: string; at: Date } | null;
}

export interface AlertMessage {
  /** The outbox key of this notification. */
  key: string;
  kind: AlertNotification['kind'];
  episodeId: string;
  severity: Severity;
  rule: string;
  /** One line: "Success rate 91.2% below 95.0% — all traffic". */
  title: string;
  /** The rule in words: "Success rate over the last 15 min below 95.0%". */
  what: string;
  where: {
    scope: string;
    dimension: 'all' | 'provider' | 'model' | 'service_type';
    value: string | null;
    label: string;
  };
  howBad: {
    value: number | null;
    valueText: string;
    threshold: number | null;
    thresholdText: string;
    /** "91.2% < 95.0%", "$812.40 is 1.89× the baseline $430.00 (alert above 1.5×)", "no data". */
    comparison: string;
    baseline: number | null;
    baselineText: string | null;
    requests: number;
    requestsText: string;
  };
  /** When the breach began, and when the alert fired. */
  since: Date;
  firingSince: Date;
  /** Resolved notifications: when, and how long it fired ("42 min"). */
  resolved: { at: Date; durationMs: number; durationText: string } | null;
  /** Repeats: how long it has been firing. */
  firingForText: string;
  contributors: Array<Contributor & { share: number | null; text: string }>;
  links: { dashboard: string | null; runbook: string | null };
  sparkline: SparkPoint[] | null;
  /** Repeats and resolves reply in the thread of the firing message sent under this key. */
  replyToKey: string | null;
  /** Resolves also update that firing message (to say it is resolved). */
  updatesKey: string | null;
  /** Resolves of an acknowledged episode: who acknowledged it, and when. */
  acknowledged: { userId: string; at: Date } | null;
}

const METRIC_LABELS: Record<AlertMetric, string> = {
  success_rate: 'Success rate',
  error_rate: 'Error rate',
  cost_usd: 'Cost',
  requests: 'Requests',
  p95_latency_ms: 'p95 latency',
  minutes_since_newest_row: 'Time since the newest api_usage row',
  refresh_age_minutes: 'Time since the last successful refresh',
  delivery_failures: 'Failed deliveries',
};

const BASELINE_LABELS: Record<ChangeBaseline, string> = {
  previous_day: 'the day before',
  same_weekday: 'the same weekday last week',
  baseline_4w: 'the same weekday over the last 4 weeks',
};

/**
 * A formatter for values of `metric` shown together (a value beside its threshold and baseline,
 * a list of contributors): latencies share one unit, chosen from the largest.
 */
export function metricFormat(
  metric: AlertMetric,
  together: ReadonlyArray<number | null>,
): (v: number | null) => string {
  const latency = metric === 'p95_latency_ms' ? latencyFormat(together) : null;
  return (value) => {
    if (value === null) return 'no data';
    switch (metric) {
      case 'success_rate':
      case 'error_rate':
        return formatRate(value);
      case 'cost_usd':
        return formatUsd(value);
      case 'requests':
      case 'delivery_failures':
        return formatCount(value);
      case 'p95_latency_ms':
        return latency!(value);
      case 'minutes_since_newest_row':
      case 'refresh_age_minutes':
        return formatAge(value);
    }
  };
}

export const formatMetric = (metric: AlertMetric, value: number | null): string => metricFormat(metric, [value])(value);

function windowText(rule: NamedAlertRule): string {
  if (rule.window_minutes === null) return '';
  if (rule.window_minutes === 'today') return ' today so far';
  return ` over the last ${formatDuration(rule.window_minutes * 60_000)}`;
}

function whereOf(scope: string): AlertMessage['where'] {
  const { scope: dimension, value } = parseScopeKey(scope);
  const label =
    dimension === 'all' ? 'all traffic' : `${dimension === 'service_type' ? 'service type' : dimension} ${value}`;
  return { scope, dimension, value, label };
}

const ratioText = formatTimes;

export function buildAlertMessage(input: AlertMessageInput): AlertMessage {
  const { rule, notification: n } = input;
  const e = n.evaluation;
  const c = rule.condition;
  const label = METRIC_LABELS[rule.metric];
  // The value, the line and the baseline are read together: one unit for all.
  const fmt = metricFormat(rule.metric, [e.value, c.type === 'threshold' ? c.value : null, e.baseline, e.threshold]);
  const side = c.op === '<' ? 'below' : 'above';
  const where = whereOf(n.scope);

  const what =
    c.type === 'threshold'
      ? `${label}${windowText(rule)} ${side} ${fmt(c.value)}`
      : `${label}${windowText(rule)} ${side} ${ratioText(c.ratio)} ${BASELINE_LABELS[c.vs]}`;

  let comparison: string;
  if (e.value === null) comparison = 'no data';
  else if (c.type === 'threshold') comparison = `${fmt(e.value)} ${c.op} ${fmt(c.value)}`;
  else if (e.ratio === null) comparison = `${fmt(e.value)}, no baseline to compare with`;
  else
    comparison = `${fmt(e.value)} is ${ratioText(e.ratio)} ${BASELINE_LABELS[c.vs]} (${fmt(e.baseline)}); alert ${side} ${ratioText(c.ratio)}`;

  const headline = (() => {
    if (e.value === null) return `${label}: no data`;
    if (c.type === 'change') {
      return e.ratio === null
        ? `${label} ${fmt(e.value)}, no baseline`
        : `${label} ${fmt(e.value)}, ${ratioText(e.ratio)} ${BASELINE_LABELS[c.vs]}`;
    }
    // A resolved value is no longer past the line: name the line, not a false "below".
    return n.kind === 'resolved'
      ? `${label} ${fmt(e.value)} (alert ${side} ${fmt(c.value)})`
      : `${label} ${fmt(e.value)} ${side} ${fmt(c.value)}`;
  })();
  const firingForText = formatDuration(n.at.getTime() - n.firingSince.getTime());
  const title =
    n.kind === 'resolved'
      ? `Resolved after ${formatDuration(n.durationMs ?? 0)}: ${headline} — ${where.label}`
      : n.kind === 'repeat'
        ? `Still firing after ${firingForText}: ${headline} — ${where.label}`
        : `${headline} — ${where.label}`;

  const firingKey = notificationKey(n.episodeId, 'firing');
  return {
    key: n.key,
    kind: n.kind,
    episodeId: n.episodeId,
    severity: n.severity,
    rule: rule.name,
    title,
    what,
    where,
    howBad: {
      value: e.value,
      valueText: fmt(e.value),
      threshold: e.threshold,
      thresholdText: e.threshold === null ? '–' : fmt(e.threshold),
      comparison,
      baseline: e.baseline,
      baselineText: e.baseline === null ? null : fmt(e.baseline),
      requests: e.requests,
      requestsText: formatCount(e.requests),
    },
    since: n.breachSince,
    firingSince: n.firingSince,
    resolved:
      n.kind === 'resolved' && n.resolvedAt && n.durationMs !== null
        ? { at: n.resolvedAt, durationMs: n.durationMs, durationText: formatDuration(n.durationMs) }
        : null,
    firingForText,
    contributors: topContributors(e.contributors, input.maxContributors ?? 5),
    links: { dashboard: input.dashboardUrl, runbook: rule.runbook_url },
    sparkline: input.series ? [...input.series] : null,
    replyToKey: n.kind === 'firing' ? null : firingKey,
    updatesKey: n.kind === 'resolved' ? firingKey : null,
    acknowledged: n.kind === 'resolved' ? (input.acknowledgement ?? null) : null,
  };
}

const KIND_ORDER: readonly Contributor['kind'][] = ['error_code', 'model', 'provider', 'service_type'];

/**
 * The largest contributors of each kind, error codes first, each with its share of its kind
 * ("overloaded 15 (79%)"). Kinds are not ranked against each other: failures and requests are
 * different units.
 */
function topContributors(all: readonly Contributor[], maxPerKind: number): AlertMessage['contributors'] {
  return KIND_ORDER.flatMap((kind) => {
    const ofKind = all.filter((x) => x.kind === kind);
    const total = ofKind.reduce((sum, x) => sum + x.count, 0);
    return ofKind
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, maxPerKind)
      .map((x) => {
        const share = total > 0 ? x.count / total : null;
        return {
          ...x,
          share,
          text: `${x.name} ${formatCount(x.count)}${share === null ? '' : ` (${formatRate(share, 0)})`}`,
        };
      });
  });
}
