import type { Observation } from './evaluate.js';
import { RATE_METRICS, type AlertMetric, type NamedAlertRule } from './rules.js';

/**
 * The made-up values an alert preview uses where the data gives none: a breach just past the
 * threshold for a rule that does not breach now, and a value just past the recovery line for the
 * resolve. Pure; evaluate.ts still judges them, so a preview goes through the real decision.
 */

/** A change condition without a usable baseline is previewed against this one. */
const NOMINAL_BASELINE: Record<AlertMetric, number> = {
  success_rate: 0.98,
  error_rate: 0.02,
  cost_usd: 100,
  requests: 1000,
  p95_latency_ms: 2000,
  minutes_since_newest_row: 10,
  refresh_age_minutes: 5,
  delivery_failures: 1,
};

const COUNT_METRICS: readonly AlertMetric[] = ['requests', 'delivery_failures'];

/** Where a metric's values can lie; a preview value outside it reads as nonsense. */
function clampToDomain(metric: AlertMetric, value: number): number {
  const low = Math.max(0, value);
  return RATE_METRICS.includes(metric) ? Math.min(1, low) : low;
}

/**
 * The value a little past `line` on one side: 1 pp for rates, a whole count for counts, 10% (at
 * least 1 unit) otherwise. Kept inside the metric's domain when that still lands past the line.
 */
function pastLine(metric: AlertMetric, line: number, side: 'below' | 'above'): number {
  const sign = side === 'below' ? -1 : 1;
  let value: number;
  if (RATE_METRICS.includes(metric)) value = line + sign * 0.01;
  else if (COUNT_METRICS.includes(metric)) {
    const step = Math.max(1, Math.round(Math.abs(line) * 0.1));
    value = side === 'below' ? Math.ceil(line) - step : Math.floor(line) + step;
  } else value = line + sign * Math.max(1, Math.abs(line) * 0.1);
  const clamped = clampToDomain(metric, value);
  const stillPast = side === 'below' ? clamped < line : clamped > line;
  return stillPast ? clamped : value;
}

/** As pastLine, but a value that may sit on the line (recovery is judged with ≥ and ≤). */
function atOrPast(metric: AlertMetric, line: number, side: 'below' | 'above'): number {
  const value = pastLine(metric, line, side);
  const clamped = clampToDomain(metric, value);
  const ok = side === 'below' ? clamped <= line : clamped >= line;
  return ok ? clamped : value;
}

function baselineFor(rule: NamedAlertRule, observed: Observation | null): number {
  const b = observed?.baseline;
  if (b !== null && b !== undefined && b > 0) return b;
  const v = observed?.value;
  return v !== null && v !== undefined && v > 0 ? v : NOMINAL_BASELINE[rule.metric];
}

/** Enough requests that the volume floor lets the rule judge. */
function requestsFor(rule: NamedAlertRule, observed: Observation | null): number {
  return Math.max(observed?.requests ?? 0, rule.min_requests);
}

/**
 * An observation that breaches `rule`, for a preview when nothing breaches: the threshold
 * (ratio × baseline for a change) crossed by a little, with the observed baseline and volume
 * where they exist.
 */
export function syntheticBreach(rule: NamedAlertRule, observed: Observation | null): Observation {
  const c = rule.condition;
  const side = c.op === '<' ? 'below' : 'above';
  const requests = requestsFor(rule, observed);
  if (c.type === 'threshold') return { value: pastLine(rule.metric, c.value, side), requests };
  const baseline = baselineFor(rule, observed);
  return { value: baseline * (c.op === '<' ? c.ratio * 0.9 : c.ratio * 1.1), requests, baseline };
}

/**
 * An observation past the rule's recovery line (its threshold without one), on the healthy side:
 * what a firing alert resolves on.
 */
export function syntheticRecovery(rule: NamedAlertRule, observed: Observation | null): Observation {
  const c = rule.condition;
  // Healthy is the other side of the breach.
  const side = c.op === '<' ? 'above' : 'below';
  const requests = requestsFor(rule, observed);
  if (c.type === 'threshold') return { value: atOrPast(rule.metric, rule.recovery ?? c.value, side), requests };
  const baseline = baselineFor(rule, observed);
  const ratio = rule.recovery ?? c.ratio;
  return { value: baseline * (c.op === '<' ? ratio * 1.1 : ratio * 0.9), requests, baseline };
}
