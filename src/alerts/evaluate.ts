import { parseScopeKey, type AlertRule, type NamedAlertRule } from './rules.js';

/**
 * Judges one rule's observations, scope by scope. Pure: the query layer has already measured
 * the window (and the baseline of a `change` condition); this decides which side of the
 * thresholds each value is on. What that means over time is state-machine.ts's business.
 */

/** What made a value bad, for the message ("rate_limited: 41 of 52 failures"). */
export interface Contributor {
  kind: 'error_code' | 'model' | 'provider' | 'service_type';
  name: string;
  /** Failures for error codes; the metric's own unit otherwise (cost, requests). */
  count: number;
}

/** One scope value's measurement over the rule's window. */
export interface Observation {
  /** The metric; null when it is undefined (success rate at 0 requests, empty table, …). */
  value: number | null;
  /** Requests in the window (0 for metrics without requests). */
  requests: number;
  /** For `change` conditions: the comparison value the rule's `vs` names; null when there is none. */
  baseline?: number | null;
  contributors?: Contributor[];
}

/** Observations by scope key ("all", "provider=openai"): see scopeKey in rules.ts. */
export type Observations = ReadonlyMap<string, Observation> | Readonly<Record<string, Observation>>;

/**
 * - breach: on the wrong side of the threshold;
 * - ok: not breaching; `recovered` says whether it is also past the recovery threshold;
 * - no_data: no value, or no baseline to compare with (the rule's no_data policy applies);
 * - low_volume: fewer requests than min_requests: the rule neither fires nor resolves.
 */
export type EvaluationStatus = 'breach' | 'ok' | 'no_data' | 'low_volume';

export interface ScopeEvaluation {
  rule: string;
  scope: string;
  at: Date;
  status: EvaluationStatus;
  /** Past the recovery threshold (only ever true when status is ok). */
  recovered: boolean;
  /** Why there is no data: no value at all, or nothing to compare a `change` with. */
  noDataReason: 'no_value' | 'no_baseline' | null;
  value: number | null;
  /** The value a breach is judged against (ratio × baseline for `change`); null without a baseline. */
  threshold: number | null;
  /** The value a firing alert must reach to resolve; equals threshold without hysteresis. */
  recoveryThreshold: number | null;
  baseline: number | null;
  /** value / baseline for `change` conditions, else null. */
  ratio: number | null;
  requests: number;
  contributors: Contributor[];
}

/**
 * Evaluates every observed scope, plus the scopes in `open` (those with a pending or firing
 * state) that were not observed: they count as no data, so an alert on a provider that stopped
 * sending traffic follows the no_data policy instead of being forgotten. Scope `all` is always
 * evaluated, observed or not (the dead-man switch depends on it). Sorted by scope key.
 */
export function evaluateRule(
  rule: NamedAlertRule,
  observations: Observations,
  now: Date,
  open: Iterable<string> = [],
): ScopeEvaluation[] {
  const observed = observations instanceof Map ? new Map(observations) : new Map(Object.entries(observations));
  for (const key of observed.keys()) assertScopeOf(rule, key);
  const keys = new Set([...observed.keys(), ...open]);
  if (rule.scope === 'all') keys.add('all');
  return [...keys]
    .filter((key) => parseScopeKey(key).scope === rule.scope)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => evaluateScope(rule, key, observed.get(key) ?? null, now));
}

export function evaluateScope(
  rule: NamedAlertRule,
  scope: string,
  obs: Observation | null,
  now: Date,
): ScopeEvaluation {
  if (obs) assertObservation(rule, scope, obs);
  const base = {
    rule: rule.name,
    scope,
    at: now,
    value: obs?.value ?? null,
    requests: obs?.requests ?? 0,
    baseline: obs?.baseline ?? null,
    contributors: [...(obs?.contributors ?? [])].sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1)),
  };
  const lines = thresholdsOf(rule, base.baseline);
  const judged = { ...base, threshold: lines?.threshold ?? null, recoveryThreshold: lines?.recovery ?? null };
  const ratio = rule.condition.type === 'change' && base.value !== null && lines ? base.value / base.baseline! : null;

  if (base.value === null) return { ...judged, ratio, status: 'no_data', recovered: false, noDataReason: 'no_value' };
  if (!lines) return { ...judged, ratio, status: 'no_data', recovered: false, noDataReason: 'no_baseline' };
  if (base.requests < rule.min_requests)
    return { ...judged, ratio, status: 'low_volume', recovered: false, noDataReason: null };

  const { op } = rule.condition;
  const breach = op === '<' ? base.value < lines.threshold : base.value > lines.threshold;
  const recovered = !breach && (op === '<' ? base.value >= lines.recovery : base.value <= lines.recovery);
  return { ...judged, ratio, status: breach ? 'breach' : 'ok', recovered, noDataReason: null };
}

/**
 * The absolute breach and recovery lines. A `change` without a positive baseline has none: a
 * ratio to nothing is not a measurement (same reasoning as "no traffic before" in deltas.ts).
 */
function thresholdsOf(rule: AlertRule, baseline: number | null): { threshold: number; recovery: number } | null {
  const c = rule.condition;
  if (c.type === 'threshold') return { threshold: c.value, recovery: rule.recovery ?? c.value };
  if (baseline === null || !(baseline > 0)) return null;
  return { threshold: c.ratio * baseline, recovery: (rule.recovery ?? c.ratio) * baseline };
}

function assertScopeOf(rule: NamedAlertRule, key: string): void {
  if (parseScopeKey(key).scope !== rule.scope) {
    throw new RangeError(
      `rule ${rule.name} has scope ${rule.scope}, but an observation is keyed ${JSON.stringify(key)}`,
    );
  }
}

// A NaN here is a bug in the query layer; judging it would silently read as "not breaching".
function assertObservation(rule: NamedAlertRule, scope: string, obs: Observation): void {
  const finiteOrNull = (v: number | null | undefined) => v === null || v === undefined || Number.isFinite(v);
  if (
    !finiteOrNull(obs.value) ||
    !finiteOrNull(obs.baseline) ||
    !(Number.isFinite(obs.requests) && obs.requests >= 0)
  ) {
    throw new RangeError(
      `rule ${rule.name}, ${scope}: observation must hold finite numbers or null, got ${JSON.stringify(obs)}`,
    );
  }
}
