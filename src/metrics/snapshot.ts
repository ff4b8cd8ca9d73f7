import { anomalies, type AnomalyFlag } from './anomalies.js';
import { periodBudget } from './budget.js';
import { financeSection, usersSection, type BusinessData, type FinanceSection, type UsersSection } from './business.js';
import { costBaseline, type CostBaseline } from './baseline.js';
import { attributeCost, attributeSuccessRate, type Attribution } from './attribution.js';
import { pointsDelta, relativeDelta } from './deltas.js';
import { healthScore, type HealthConfig, type HealthScore } from './health.js';
import { mergeHistograms, quantile } from './histogram.js';
import type { KpiDeltas, Kpis } from './kpis.js';
import type { Period, ReportPeriods } from './period.js';
import { comparisonFor, usualKpis, verdictInput } from './usual.js';
import { verdict, type Tone, type Verdict } from './verdict.js';
import { kpisOf, sum, type PeriodData } from './period-data.js';
import {
  dataQuality,
  models,
  operations,
  topErrors,
  type DataQuality,
  type ModelsSection,
  type OperationsRow,
  type TopError,
} from './snapshot-sections.js';
import type { Freshness, Histogram } from './queries.js';

/**
 * The snapshot: everything a digest or an alert says about one report period, computed purely
 * from rows the query modules returned. Nothing here reads the clock or the database.
 */
export type { PeriodData } from './period-data.js';
export {
  errorLabel,
  rankModels,
  type DataQuality,
  type ModelRow,
  type ModelsSection,
  type OperationsRow,
  type TopError,
} from './snapshot-sections.js';

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
  /** vsUsual: against `usual` (the mean of the comparison's periods); what reports lead with. */
  deltas: { vsPrevious: KpiDeltas; vsSameWeekdayLastWeek: KpiDeltas | null; vsUsual: KpiDeltas | null };
  /** What the period is judged against (usual.ts): its label, how many periods, their mean KPIs. */
  usual: { label: string; periods: number; kpis: Kpis | null };
  /** "All normal", or what needs attention, and which figures deserve colour (verdict.ts). */
  verdict: Verdict;
  /** p95 per service type against its target and its usual value: the headline latency. */
  latencyByService: Array<{
    serviceType: string;
    requests: number;
    p95Ms: number | null;
    targetMs: number;
    usualP95Ms: number | null;
    tone: Tone;
  }>;
  health: HealthScore;
  /**
   * Who moved the numbers, against `against`: a day report against the same weekday a week
   * earlier (a Monday against a Sunday would blame the weekend), other reports against the
   * previous period.
   */
  attribution: {
    against: 'previous' | 'sameWeekdayLastWeek';
    cost: Attribution;
    successRate: Attribution | null;
  };
  anomalies: { flags: AnomalyFlag[]; comparableWeeks: number };
  /** baselineUsd is baseline.expectedUsd; `baseline` says how it was made (baseline.ts). */
  budget: { periodBudgetUsd: number | null; baselineUsd: number | null; baseline: CostBaseline };
  operations: OperationsRow[];
  /** The top codes by failures, then failures without a code and the rest ("other"), if any. */
  topErrors: TopError[];
  /** other.uniqueUsers: distinct users of those models together; null when not counted. */
  models: ModelsSection;
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
  dataQuality: DataQuality;
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

const minutesSince = (at: Date | null, now: Date) =>
  at === null ? null : Math.max(0, (now.getTime() - at.getTime()) / 60_000);

/**
 * The deltas the attribution was computed against: the same weekday a week earlier when it was
 * (`weekAgo`), else the previous period. Every renderer of "what moved" reads them from here.
 */
export function attributionDeltas(s: Snapshot): { deltas: KpiDeltas; weekAgo: boolean } {
  const week = s.attribution.against === 'sameWeekdayLastWeek' ? s.deltas.vsSameWeekdayLastWeek : null;
  return week ? { deltas: week, weekAgo: true } : { deltas: s.deltas.vsPrevious, weekAgo: false };
}

export function buildSnapshot(input: SnapshotInput): Snapshot {
  const { periods, current, previous, now } = input;
  const cur = kpisOf(current);
  const prev = kpisOf(previous);
  const lastWeek = input.sameWeekdayLastWeek ? kpisOf(input.sameWeekdayLastWeek) : null;
  const against = lastWeek && lastWeek.requests > 0 && input.sameWeekdayLastWeek ? input.sameWeekdayLastWeek : previous;
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
  const comparison = comparisonFor(periods.current.kind, periods.current.firstDay, previous, input.baseline);
  const history = comparison.periods.map(kpisOf);
  const usual = usualKpis(history);
  const judged = verdictInput({
    kind: periods.current.kind,
    current,
    cur,
    comparison,
    history,
    health: input.health,
    silence: health.override !== null ? { expectedRequests: baseline.expectedRequests ?? 0 } : null,
    freshness: {
      dataAgeMinutes: dataAge,
      refreshAgeMinutes: refreshAge,
      maxData: input.limits.maxDataAgeMinutes,
      maxRefresh: input.limits.maxRefreshAgeMinutes,
    },
  });
  const judgement = verdict(judged);
  const overall = current.histograms.get('*') ?? mergeHistograms([]);
  return {
    report: { name: input.report.name, period: periods.current.kind, timeZone: periods.current.timeZone },
    generatedAt: now.toISOString(),
    period: info(periods.current),
    previous: info(periods.previous),
    sameWeekdayLastWeek: periods.sameWeekdayLastWeek ? info(periods.sameWeekdayLastWeek) : null,
    kpis: { current: cur, previous: prev, sameWeekdayLastWeek: lastWeek },
    deltas: {
      vsPrevious: kpiDeltas(cur, prev),
      vsSameWeekdayLastWeek: lastWeek ? kpiDeltas(cur, lastWeek) : null,
      vsUsual: usual ? kpiDeltas(cur, usual) : null,
    },
    usual: { label: comparison.label, periods: comparison.periods.length, kpis: usual },
    verdict: judgement,
    latencyByService: judged.services.map((x) => ({
      serviceType: x.name,
      requests: x.requests,
      p95Ms: x.value,
      targetMs: x.targetMs,
      usualP95Ms: x.history.length ? x.history.reduce((a, b) => a + b, 0) / x.history.length : null,
      tone: judgement.tones.p95ByService[x.name] ?? 'neutral',
    })),
    health,
    attribution: {
      against: against === previous ? 'previous' : 'sameWeekdayLastWeek',
      cost: attributeCost(current.byModel, against.byModel),
      successRate: attributeSuccessRate(current.byModel, against.byModel, current.errors, against.errors),
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
