import type { HealthConfig } from './health.js';
import { quantile } from './histogram.js';
import type { Kpis } from './kpis.js';
import { outcomes, ratio, sum, type PeriodData } from './period-data.js';
import type { PeriodKind } from './period.js';
import { weekdayOf, type LocalDate } from './zoned-time.js';
import type { Series, VerdictInput } from './verdict.js';

/**
 * What a period is compared with to judge it: for a day, the same weekday of the last 4 weeks
 * (weekly seasonality makes any other day an unfair comparison); for a week or month, the
 * previous one. Periods without traffic are left out of the history.
 */
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface Comparison {
  /** "the usual Tuesday", "the previous week". */
  label: string;
  /** The periods with traffic, most recent first. */
  periods: PeriodData[];
}

export function comparisonFor(
  kind: PeriodKind,
  firstDay: LocalDate,
  previous: PeriodData,
  sameWeekdays: readonly PeriodData[],
): Comparison {
  const withTraffic = (d: PeriodData) => sum(d.byModel, (m) => m.requests) > 0;
  if (kind === 'day') {
    return {
      label: `the usual ${WEEKDAY_NAMES[weekdayOf(firstDay) - 1]}`,
      periods: sameWeekdays.filter(withTraffic),
    };
  }
  return { label: `the previous ${kind}`, periods: withTraffic(previous) ? [previous] : [] };
}

const p95Of = (d: PeriodData, key: string) => quantile(d.histograms.get(key) ?? { bins: [], counts: [] }, 0.95);

/** The mean of each KPI over the comparison's periods (rates and p95s as means of theirs); null without any. */
export function usualKpis(history: readonly Kpis[]): Kpis | null {
  if (history.length === 0) return null;
  const mean = (f: (k: Kpis) => number | null) => {
    const xs = history.map(f).filter((x): x is number => x !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const m = (f: (k: Kpis) => number) => mean(f) ?? 0;
  return {
    requests: m((k) => k.requests),
    successfulRequests: m((k) => k.successfulRequests),
    successRate: mean((k) => k.successRate),
    costUsd: m((k) => k.costUsd),
    activeUsers: m((k) => k.activeUsers),
    avgLatencyMs: mean((k) => k.avgLatencyMs),
    p95LatencyMs: mean((k) => k.p95LatencyMs),
    tokens: m((k) => k.tokens),
    images: m((k) => k.images),
    videoSeconds: m((k) => k.videoSeconds),
  };
}

interface Segment {
  requests: number;
  successes: number;
  outcomes: number;
}

function byProvider(d: PeriodData): Map<string, Segment> {
  const out = new Map<string, Segment>();
  for (const m of d.byModel) {
    const s = out.get(m.provider) ?? { requests: 0, successes: 0, outcomes: 0 };
    s.requests += m.requests;
    s.successes += m.successes;
    s.outcomes += outcomes(m);
    out.set(m.provider, s);
  }
  return out;
}

const numbers = (xs: ReadonlyArray<number | null>) => xs.filter((x): x is number => x !== null);

export interface VerdictFigures {
  kind: PeriodKind;
  current: PeriodData;
  cur: Kpis;
  comparison: Comparison;
  history: readonly Kpis[];
  health: HealthConfig;
  silence: VerdictInput['silence'];
  freshness: VerdictInput['freshness'];
}

/** Every figure the verdict judges, each with its history from the comparison's periods. */
export function verdictInput(f: VerdictFigures): VerdictInput {
  const series = (value: number | null, pick: (k: Kpis) => number | null): Series => ({
    value,
    history: numbers(f.history.map(pick)),
  });
  const before = f.comparison.periods.map(byProvider);
  const providers = [...byProvider(f.current)].map(([name, s]) => ({
    name,
    requests: s.requests,
    outcomes: s.outcomes,
    failures: s.outcomes - s.successes,
    value: ratio(s.successes, s.outcomes),
    history: numbers(before.map((b) => (b.get(name) ? ratio(b.get(name)!.successes, b.get(name)!.outcomes) : null))),
  }));
  const serviceTypes = [...new Set(f.current.byModel.map((m) => m.serviceType))].sort();
  const services = serviceTypes.map((name) => ({
    name,
    requests: sum(
      f.current.byModel.filter((m) => m.serviceType === name),
      (m) => m.requests,
    ),
    targetMs: f.health.latency_p95_ms[name] ?? f.health.latency_p95_ms.default,
    value: p95Of(f.current, `service:${name}`),
    history: numbers(f.comparison.periods.map((p) => p95Of(p, `service:${name}`))),
  }));
  return {
    comparedWith: f.comparison.label,
    rule: f.kind === 'day' ? 'spread' : 'threshold',
    requests: series(f.cur.requests, (k) => k.requests),
    costUsd: series(f.cur.costUsd, (k) => k.costUsd),
    activeUsers: series(f.cur.activeUsers, (k) => k.activeUsers),
    successRate: { ...series(f.cur.successRate, (k) => k.successRate), requests: f.cur.requests },
    providers,
    services,
    successFloor: f.health.success_rate.floor,
    silence: f.silence,
    freshness: f.freshness,
  };
}
