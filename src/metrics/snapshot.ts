import { anomalies, type AnomalyFlag } from './anomalies.js';
import { periodBudget } from './budget.js';
import { financeSection, usersSection, type BusinessData, type FinanceSection, type UsersSection } from './business.js';
import { costBaseline, type CostBaseline } from './baseline.js';
import { attributeCost, attributeSuccessRate, type Attribution } from './attribution.js';
import { KNOWN_SERVICE_TYPES, ROW_FLAW_KEYS, type DataQualityCounts } from './data-quality.js';
import { pointsDelta, relativeDelta, type Delta } from './deltas.js';
import { healthScore, type HealthConfig, type HealthScore } from './health.js';
import { mergeHistograms, quantile } from './histogram.js';
import type { KpiDeltas, Kpis } from './kpis.js';
import type { Period, ReportPeriods } from './period.js';
import { modelKey, type ErrorCount, type Freshness, type Histogram, type ModelMeasures } from './queries.js';

/**
 * The snapshot: everything a digest or an alert says about one report period, computed purely
 * from rows the query modules returned. Nothing here reads the clock or the database.
 */
export interface PeriodData {
  byModel: ModelMeasures[];
  histograms: Map<string, Histogram>;
  errors: ErrorCount[];
  /**
   * pastTop: distinct users of the models past the report's top N, together (they cannot be added
   * up per model); absent when not counted.
   */
  users: { total: number; byModel: Map<string, number>; pastTop?: number };
}

export interface OperationsRow {
  provider: string;
  serviceType: string;
  requests: number;
  costUsd: number;
  successRate: number | null;
  avgLatencyMs: number | null;
  p95LatencyMs: number | null;
  deltas: { requests: Delta; costUsd: Delta; successRate: Delta; p95LatencyMs: Delta };
}

export interface ModelRow {
  provider: string;
  serviceType: string;
  model: string;
  requests: number;
  costUsd: number;
  costPerRequest: number | null;
  tokens: number;
  images: number;
  videoSeconds: number;
  uniqueUsers: number;
}

type ModelName = { provider: string; serviceType: string; model: string };

/** Models in report order: by cost, then requests, then name. */
export function rankModels<T extends ModelName & { costUsd: number; requests: number }>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => b.costUsd - a.costUsd || b.requests - a.requests || modelKey(a).localeCompare(modelKey(b)),
  );
}

export interface SnapshotInput {
  report: { name: string; topModels: number };
  periods: ReportPeriods;
  current: PeriodData;
  previous: PeriodData;
  sameWeekdayLastWeek: PeriodData | null;
  /** Same weekday in each of the 4 weeks before (day reports; [] otherwise), most recent first. */
  baseline: PeriodData[];
  freshness: Freshness;
  limits: { maxDataAgeMinutes: number; maxRefreshAgeMinutes: number };
  health: HealthConfig;
  monthlyBudgetUsd: number | null;
  business: BusinessData;
  now: Date;
}

export interface Snapshot {
  report: { name: string; period: Period['kind']; timeZone: string };
  generatedAt: string;
  period: PeriodInfo;
  previous: PeriodInfo;
  sameWeekdayLastWeek: PeriodInfo | null;
  kpis: { current: Kpis; previous: Kpis; sameWeekdayLastWeek: Kpis | null };
  deltas: { vsPrevious: KpiDeltas; vsSameWeekdayLastWeek: KpiDeltas | null };
  health: HealthScore;
  attribution: { cost: Attribution; successRate: Attribution | null };
  anomalies: { flags: AnomalyFlag[]; comparableWeeks: number };
  /** baselineUsd is baseline.expectedUsd; `baseline` says how it was made (baseline.ts). */
  budget: { periodBudgetUsd: number | null; baselineUsd: number | null; baseline: CostBaseline };
  operations: OperationsRow[];
  /** The top codes by failures, then failures without a code and the rest ("other"), if any. */
  topErrors: TopError[];
  /** other.uniqueUsers: distinct users of those models together; null when not counted. */
  models: {
    top: ModelRow[];
    other: (Omit<ModelRow, 'uniqueUsers'> & { models: number; uniqueUsers: number | null }) | null;
  };
  users: UsersSection;
  finance: FinanceSection;
  technical: {
    errorRate: number | null;
    p50LatencyMs: number | null;
    p95LatencyMs: number | null;
    p99LatencyMs: number | null;
    histogram: Histogram;
  };
  /** Rows of each odd kind in the period (data-quality.ts), and how old the data and the last refresh are. */
  dataQuality: DataQualityCounts & {
    newestRowAgeMinutes: number | null;
    lastRefreshAgeMinutes: number | null;
  };
}

export interface TopError {
  /** null for the two kinds below. */
  errorCode: string | null;
  failures: number;
  /** Of all failures in the period. */
  share: number;
  /** `no_error_code`: failures whose row has no error code; `other`: the codes past the top 5. */
  kind?: 'no_error_code' | 'other';
  /** For `other`: how many codes. */
  codes?: number;
}

const TOP_ERRORS = 5;

/** How a top-errors entry reads: its code, "no error code", or "3 other codes". */
export function errorLabel(e: TopError): string {
  if (e.errorCode !== null) return e.errorCode;
  return e.kind === 'other' ? `${e.codes} other code${e.codes === 1 ? '' : 's'}` : 'no error code';
}

function topErrors(errors: readonly ErrorCount[]): TopError[] {
  const failures = sum(errors, (e) => e.failures);
  const byCode = new Map<string | null, number>();
  for (const e of errors) byCode.set(e.errorCode, (byCode.get(e.errorCode) ?? 0) + e.failures);
  const codes = [...byCode.entries()]
    .filter((e): e is [string, number] => e[0] !== null)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const out: TopError[] = codes
    .slice(0, TOP_ERRORS)
    .map(([errorCode, n]) => ({ errorCode, failures: n, share: n / failures }));
  const none = byCode.get(null) ?? 0;
  if (none > 0) out.push({ errorCode: null, kind: 'no_error_code', failures: none, share: none / failures });
  const rest = codes.slice(TOP_ERRORS);
  if (rest.length > 0) {
    const n = sum(rest, (r) => r[1]);
    out.push({ errorCode: null, kind: 'other', codes: rest.length, failures: n, share: n / failures });
  }
  return out;
}

interface PeriodInfo {
  label: string;
  start: string;
  end: string;
  hours: number;
}

const info = (p: Period): PeriodInfo => ({
  label: p.label,
  start: p.start.toISOString(),
  end: p.end.toISOString(),
  hours: p.hours,
});
const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
/** Requests whose outcome is known: the success rate's denominator (rows without one are left out). */
const outcomes = (m: ModelMeasures) => m.requests - m.nullSuccessRows;

function kpisOf(data: PeriodData): Kpis {
  const m = data.byModel;
  const requests = sum(m, (x) => x.requests);
  const successes = sum(m, (x) => x.successes);
  const latencyCount = sum(m, (x) => x.latencyCount);
  return {
    requests,
    successfulRequests: successes,
    successRate: ratio(successes, sum(m, outcomes)),
    costUsd: sum(m, (x) => x.costUsd),
    activeUsers: data.users.total,
    avgLatencyMs: latencyCount > 0 ? sum(m, (x) => x.latencySum) / latencyCount : null,
    p95LatencyMs: quantile(data.histograms.get('*') ?? { bins: [], counts: [] }, 0.95),
    tokens: sum(m, (x) => x.inputTokens + x.outputTokens),
    images: sum(m, (x) => x.images),
    videoSeconds: sum(m, (x) => x.videoSeconds),
  };
}

/** An empty period compares as "no traffic", never as a fake 0%. */
const orNull = (k: Kpis, v: number) => (k.requests > 0 ? v : null);

function kpiDeltas(cur: Kpis, prev: Kpis): KpiDeltas {
  return {
    requests: relativeDelta(orNull(cur, cur.requests), orNull(prev, prev.requests)),
    costUsd: relativeDelta(orNull(cur, cur.costUsd), orNull(prev, prev.costUsd)),
    activeUsers: relativeDelta(orNull(cur, cur.activeUsers), orNull(prev, prev.activeUsers)),
    avgLatencyMs: relativeDelta(cur.avgLatencyMs, prev.avgLatencyMs),
    p95LatencyMs: relativeDelta(cur.p95LatencyMs, prev.p95LatencyMs),
    successRate: pointsDelta(cur.successRate, prev.successRate),
  };
}

function operations(cur: PeriodData, prev: PeriodData): OperationsRow[] {
  const group = (d: PeriodData) => {
    const out = new Map<
      string,
      {
        provider: string;
        serviceType: string;
        requests: number;
        successes: number;
        outcomes: number;
        costUsd: number;
        latencySum: number;
        latencyCount: number;
      }
    >();
    for (const m of d.byModel) {
      const key = `${m.provider}/${m.serviceType}`;
      const g = out.get(key) ?? {
        provider: m.provider,
        serviceType: m.serviceType,
        requests: 0,
        successes: 0,
        outcomes: 0,
        costUsd: 0,
        latencySum: 0,
        latencyCount: 0,
      };
      g.requests += m.requests;
      g.successes += m.successes;
      g.outcomes += outcomes(m);
      g.costUsd += m.costUsd;
      g.latencySum += m.latencySum;
      g.latencyCount += m.latencyCount;
      out.set(key, g);
    }
    return out;
  };
  const [now, before] = [group(cur), group(prev)];
  return [...now.entries()]
    .map(([key, g]): OperationsRow => {
      const p = before.get(key);
      const p95 = quantile(cur.histograms.get(`ps:${key}`) ?? { bins: [], counts: [] }, 0.95);
      const p95Before = quantile(prev.histograms.get(`ps:${key}`) ?? { bins: [], counts: [] }, 0.95);
      const rate = ratio(g.successes, g.outcomes);
      return {
        provider: g.provider,
        serviceType: g.serviceType,
        requests: g.requests,
        costUsd: g.costUsd,
        successRate: rate,
        avgLatencyMs: g.latencyCount > 0 ? g.latencySum / g.latencyCount : null,
        p95LatencyMs: p95,
        deltas: {
          requests: relativeDelta(g.requests, p?.requests || null),
          costUsd: relativeDelta(g.costUsd, p?.requests ? p.costUsd : null),
          successRate: pointsDelta(rate, p ? ratio(p.successes, p.outcomes) : null),
          p95LatencyMs: relativeDelta(p95, p95Before),
        },
      };
    })
    .sort(
      (a, b) =>
        b.costUsd - a.costUsd || a.provider.localeCompare(b.provider) || a.serviceType.localeCompare(b.serviceType),
    );
}

function models(data: PeriodData, top: number): Snapshot['models'] {
  const rows = rankModels(
    data.byModel.map(
      (m): ModelRow => ({
        provider: m.provider,
        serviceType: m.serviceType,
        model: m.model,
        requests: m.requests,
        costUsd: m.costUsd,
        costPerRequest: ratio(m.costUsd, m.requests),
        tokens: m.inputTokens + m.outputTokens,
        images: m.images,
        videoSeconds: m.videoSeconds,
        uniqueUsers: data.users.byModel.get(modelKey(m)) ?? 0,
      }),
    ),
  );
  const rest = rows.slice(top);
  if (rest.length === 0) return { top: rows, other: null };
  const requests = sum(rest, (r) => r.requests);
  const costUsd = sum(rest, (r) => r.costUsd);
  return {
    top: rows.slice(0, top),
    other: {
      provider: 'other',
      serviceType: 'other',
      model: 'other',
      models: rest.length,
      requests,
      costUsd,
      costPerRequest: ratio(costUsd, requests),
      tokens: sum(rest, (r) => r.tokens),
      images: sum(rest, (r) => r.images),
      videoSeconds: sum(rest, (r) => r.videoSeconds),
      uniqueUsers: data.users.pastTop ?? null,
    },
  };
}

function dataQuality(
  byModel: readonly ModelMeasures[],
  futureRows: number,
  newestRowAgeMinutes: number | null,
  lastRefreshAgeMinutes: number | null,
): Snapshot['dataQuality'] {
  const rows = (f: (m: ModelMeasures) => boolean) => sum(byModel.filter(f), (m) => m.requests);
  const flaws = Object.fromEntries(ROW_FLAW_KEYS.map((k) => [k, sum(byModel, (m) => m[k])])) as Record<
    (typeof ROW_FLAW_KEYS)[number],
    number
  >;
  // Latency is null, unusable (one of the flaws above) or counted in latencyCount.
  const unusableLatency = flaws.negativeLatencyRows + flaws.outlierLatencyRows + flaws.nonFiniteLatencyRows;
  return {
    ...flaws,
    nullLatencyRows: sum(byModel, (m) => m.requests - m.latencyCount) - unusableLatency,
    futureRows,
    // Null or empty names are folded as 'unknown' (docs/data-quality.md).
    unknownModelRows: rows((m) => m.model === 'unknown'),
    unknownProviderRows: rows((m) => m.provider === 'unknown'),
    unknownServiceTypeRows: rows((m) => !KNOWN_SERVICE_TYPES.has(m.serviceType)),
    newestRowAgeMinutes,
    lastRefreshAgeMinutes,
  };
}

const minutesSince = (at: Date | null, now: Date) =>
  at === null ? null : Math.max(0, (now.getTime() - at.getTime()) / 60_000);

export function buildSnapshot(input: SnapshotInput): Snapshot {
  const { periods, current, previous, now } = input;
  const cur = kpisOf(current);
  const prev = kpisOf(previous);
  const lastWeek = input.sameWeekdayLastWeek ? kpisOf(input.sameWeekdayLastWeek) : null;
  const baselineKpis = input.baseline.map(kpisOf);
  const baseline = costBaseline(
    periods.current.kind,
    { label: periods.previous.label, costUsd: prev.costUsd, requests: prev.requests },
    periods.baselineWeekdays.map((p, i) => ({
      label: p.label,
      costUsd: baselineKpis[i]?.costUsd ?? 0,
      requests: baselineKpis[i]?.requests ?? 0,
    })),
  );
  const baselineUsd = baseline.expectedUsd;
  const periodBudgetUsd = periodBudget(periods.current, input.monthlyBudgetUsd);
  const dataAge = minutesSince(input.freshness.newestRowAt, now);
  const refreshAge = minutesSince(input.freshness.lastRefreshAt, now);
  const services = [...new Set(current.byModel.map((m) => m.serviceType))].sort();
  const health = healthScore(
    {
      successRate: cur.successRate,
      p95ByService: services.map((s) => ({
        serviceType: s,
        p95Ms: quantile(current.histograms.get(`service:${s}`) ?? { bins: [], counts: [] }, 0.95),
        requests: sum(
          current.byModel.filter((m) => m.serviceType === s),
          (m) => m.requests,
        ),
      })),
      requests: cur.requests,
      expectedRequests: baseline.expectedRequests,
      costUsd: cur.costUsd,
      budgetUsd: periodBudgetUsd,
      baselineUsd,
      baselinePeriodsUsd: baseline.periods.filter((p) => p.used).map((p) => p.costUsd),
      baselineRule: baseline.description,
      dataAgeMinutes: dataAge,
      refreshAgeMinutes: refreshAge,
      maxDataAgeMinutes: input.limits.maxDataAgeMinutes,
      maxRefreshAgeMinutes: input.limits.maxRefreshAgeMinutes,
    },
    input.health,
  );
  const overall = current.histograms.get('*') ?? mergeHistograms([]);
  return {
    report: { name: input.report.name, period: periods.current.kind, timeZone: periods.current.timeZone },
    generatedAt: now.toISOString(),
    period: info(periods.current),
    previous: info(periods.previous),
    sameWeekdayLastWeek: periods.sameWeekdayLastWeek ? info(periods.sameWeekdayLastWeek) : null,
    kpis: { current: cur, previous: prev, sameWeekdayLastWeek: lastWeek },
    deltas: { vsPrevious: kpiDeltas(cur, prev), vsSameWeekdayLastWeek: lastWeek ? kpiDeltas(cur, lastWeek) : null },
    health,
    attribution: {
      cost: attributeCost(current.byModel, previous.byModel),
      successRate: attributeSuccessRate(current.byModel, previous.byModel, current.errors, previous.errors),
    },
    anomalies: anomalies(cur, baselineKpis),
    budget: { periodBudgetUsd, baselineUsd, baseline },
    operations: operations(current, previous),
    topErrors: topErrors(current.errors),
    models: models(current, input.report.topModels),
    users: usersSection(cur.activeUsers, input.business),
    finance: financeSection(periods.current, cur.costUsd, input.monthlyBudgetUsd, input.business),
    technical: {
      errorRate: cur.successRate === null ? null : 1 - cur.successRate,
      p50LatencyMs: quantile(overall, 0.5),
      p95LatencyMs: quantile(overall, 0.95),
      p99LatencyMs: quantile(overall, 0.99),
      histogram: overall,
    },
    dataQuality: dataQuality(current.byModel, input.freshness.futureRows, dataAge, refreshAge),
  };
}
