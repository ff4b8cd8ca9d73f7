import type { TopLevelSpec } from 'vega-lite';
import { topModelsByCost } from '../charts/breakdown-charts.js';
import { monthToDateVsBudget } from '../charts/budget-chart.js';
import { dailyCostByProvider, requestsAndSuccessRate } from '../charts/daily-charts.js';
import { componentReading, healthComponents } from '../charts/health-chart.js';
import { p95ByServiceType } from '../charts/latency-chart.js';
import { providerComparison } from '../charts/provider-comparison.js';
import type { DailyCost, DailyLatency, DailySeries } from '../charts/series.js';
import type { BuiltinChart } from '../config/schema.js';
import { formatCount, formatMs, formatRate, formatUsd, latencyFormat } from '../messages/format.js';
import type { Snapshot } from '../metrics/snapshot.js';
import { addDays, compareLocalDates, formatLocalDate, localDateOf } from '../metrics/zoned-time.js';

/**
 * The built-in charts of a digest: for each id its title, its Vega-Lite spec and an alt text
 * that states what the chart shows in a sentence or two (read by screen readers, shown by mail
 * clients that block images and under the chart in the preview), never a repeat of its title.
 * The thresholds the charts draw (SLO, latency targets) and the report's day come from the
 * snapshot. Pure: data in, specs out.
 */
export interface ChartData {
  snapshot: Snapshot;
  /** Per day × provider × service type, the 30 days up to the end of the report period. */
  series: DailySeries;
  latency: DailyLatency;
}

export interface ChartPlan {
  id: BuiltinChart;
  title: string;
  alt: string;
  spec: TopLevelSpec;
}

/** What the charts draw besides the data: the report's days, the SLO and floor, p95 targets. */
interface Marks {
  highlight: string[];
  slo: number | null;
  floor: number | null;
  targetsMs: Record<string, number>;
}

/** Periods longer than a week are not shaded: a month would shade the whole 30-day chart. */
const MAX_HIGHLIGHT_DAYS = 7;

/** The local days ("YYYY-MM-DD") the report period covers, in the report's time zone. */
export function periodDays(s: Pick<Snapshot, 'period' | 'report'>): string[] {
  const start = new Date(s.period.start);
  const end = new Date(s.period.end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) return [];
  const first = localDateOf(start, s.report.timeZone);
  const last = localDateOf(new Date(end.getTime() - 1), s.report.timeZone);
  const days: string[] = [];
  for (let d = first; compareLocalDates(d, last) <= 0 && days.length <= MAX_HIGHLIGHT_DAYS; d = addDays(d, 1))
    days.push(formatLocalDate(d));
  return days.length <= MAX_HIGHLIGHT_DAYS ? days : [];
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The SLO, floor and latency targets the snapshot's health components were scored against. */
export function chartMarks(s: Snapshot): Marks {
  const inputs = (key: string) => {
    const c = s.health.components.find((x) => x.key === key) as { inputs?: unknown } | undefined;
    return c?.inputs !== null && typeof c?.inputs === 'object' ? (c.inputs as Record<string, unknown>) : {};
  };
  const success = inputs('success_rate');
  const services = inputs('latency').services;
  const targetsMs: Record<string, number> = {};
  if (Array.isArray(services))
    for (const x of services as Array<Record<string, unknown>>) {
      const target = finite(x.targetMs);
      if (typeof x.serviceType === 'string' && target !== null && target > 0) targetsMs[x.serviceType] = target;
    }
  return { highlight: periodDays(s), slo: finite(success.slo), floor: finite(success.floor), targetsMs };
}

const sumBy = <T>(xs: readonly T[], key: (x: T) => string, value: (x: T) => number) => {
  const out = new Map<string, number>();
  for (const x of xs) out.set(key(x), (out.get(key(x)) ?? 0) + value(x));
  return out;
};
const largest = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])[0];
/** "on 2026-12-06" for a day, "in <label>" for a longer period. */
const onPeriod = (days: readonly string[], label: string) => (days.length <= 1 ? `on ${label}` : `in ${label}`);

function dailyCostsOfMonth(series: DailySeries, month: string): DailyCost {
  return [
    ...sumBy(
      series.filter((r) => r.date.startsWith(month)),
      (r) => r.date,
      (r) => r.costUsd,
    ).entries(),
  ]
    .map(([date, costUsd]) => ({ date, costUsd }))
    .sort((a, b) => a.date.localeCompare(b.date));
}

function costAlt(d: ChartData, m: Marks): string {
  const byDay = sumBy(
    d.series,
    (r) => r.date,
    (r) => r.costUsd,
  );
  const total = [...byDay.values()].reduce((n, c) => n + c, 0);
  const top = largest(
    sumBy(
      d.series,
      (r) => r.provider,
      (r) => r.costUsd,
    ),
  );
  if (!top) return 'No cost was recorded in the last 30 days.';
  const period = m.highlight.reduce((n, day) => n + (byDay.get(day) ?? 0), 0);
  const lead = m.highlight.length
    ? `${formatUsd(period)} ${onPeriod(m.highlight, d.snapshot.period.label)}, against a daily mean of ${formatUsd(total / byDay.size)}. `
    : '';
  return `${lead}${formatUsd(total)} over ${byDay.size} days, most of it ${top[0]} (${formatUsd(top[1])}).`;
}

function requestsAlt(d: ChartData, m: Marks): string {
  const requests = d.series.reduce((n, r) => n + r.requests, 0);
  if (requests === 0) return 'No requests in the last 30 days.';
  const successes = d.series.reduce((n, r) => n + r.successes, 0);
  const byDay = sumBy(
    d.series,
    (r) => r.date,
    (r) => r.requests,
  );
  const ok = sumBy(
    d.series,
    (r) => r.date,
    (r) => r.successes,
  );
  const worst = [...byDay.entries()]
    .filter(([, n]) => n > 0)
    .map(([day, n]) => [day, (ok.get(day) ?? 0) / n] as const)
    .sort((a, b) => a[1] - b[1])[0];
  const n = m.highlight.reduce((s, day) => s + (byDay.get(day) ?? 0), 0);
  const good = m.highlight.reduce((s, day) => s + (ok.get(day) ?? 0), 0);
  const slo = m.slo === null ? '' : ` against an SLO of ${formatRate(m.slo)}`;
  const lead =
    m.highlight.length && n > 0
      ? `${formatRate(good / n)} of ${formatCount(n)} requests succeeded ${onPeriod(m.highlight, d.snapshot.period.label)}${slo}. `
      : '';
  return `${lead}Over ${byDay.size} days ${formatRate(successes / requests)} of ${formatCount(requests)} requests succeeded${worst ? `, the lowest day ${worst[0]} at ${formatRate(worst[1])}` : ''}.`;
}

function latencyAlt(d: ChartData, m: Marks): string {
  const last = m.highlight.at(-1) ?? [...d.latency].sort((a, b) => b.date.localeCompare(a.date))[0]?.date;
  const rows = d.latency.filter((r) => r.date === last && r.p95LatencyMs !== null);
  if (!last || rows.length === 0) return 'No latency was recorded on the report day.';
  const parts = rows.map((r) => {
    const target = m.targetsMs[r.serviceType];
    // A p95 and its target are read together: one unit for both.
    const ms = latencyFormat([r.p95LatencyMs, target]);
    return `${r.serviceType} ${ms(r.p95LatencyMs)}${target ? ` (target ${ms(target)})` : ''}`;
  });
  return `p95 on ${last} was ${parts.join(', ')}.`;
}

function modelsAlt(s: Snapshot): string {
  const top = s.models.top.slice(0, 3).map((m) => `${m.provider}/${m.model} (${formatUsd(m.costUsd)})`);
  if (top.length === 0) return `No model was used on ${s.period.label}.`;
  const [first, ...rest] = top;
  return `${first} cost the most${rest.length ? `, then ${rest.join(' and ')}` : ''}, of ${formatUsd(s.kpis.current.costUsd)} in total.`;
}

function providersAlt(s: Snapshot, m: Marks): string {
  const rows = s.operations.filter((o) => o.requests > 0);
  if (rows.length === 0) return `No provider traffic on ${s.period.label}.`;
  const name = (o: (typeof rows)[number]) => `${o.provider} ${o.serviceType}`;
  const rate = (o: (typeof rows)[number]) => `${formatRate(o.successRate)} of ${formatCount(o.requests)} calls`;
  const parts: string[] = [];
  if (m.slo !== null) {
    const below = rows
      .filter((o) => o.successRate !== null && o.successRate < m.slo!)
      .sort((a, b) => a.successRate! - b.successRate!);
    parts.push(
      below.length === 0
        ? `All ${rows.length} provider and service pairs met the ${formatRate(m.slo)} SLO.`
        : `${below.length} of ${rows.length} provider and service pairs were below the ${formatRate(m.slo)} SLO, lowest ${below
            .slice(0, 2)
            .map((o) => `${name(o)} ${rate(o)}`)
            .join(' and ')}.`,
    );
  } else {
    parts.push(
      `Success rates ${rows
        .slice(0, 3)
        .map((o) => `${name(o)} ${rate(o)}`)
        .join(', ')}.`,
    );
  }
  const slow = rows.filter((o) => {
    const target = m.targetsMs[o.serviceType];
    return target !== undefined && o.p95LatencyMs !== null && o.p95LatencyMs > target;
  });
  if (Object.keys(m.targetsMs).length)
    parts.push(
      slow.length === 0
        ? 'Every p95 was within its target.'
        : `p95 over target ${slow.map((o) => `${name(o)} ${formatMs(o.p95LatencyMs)}`).join(', ')}.`,
    );
  return parts.join(' ');
}

function budgetAlt(s: Snapshot): string {
  const f = s.finance;
  const budget = f.budget ? `, against a budget of ${formatUsd(f.budget.monthlyUsd)}` : '; no budget is set';
  return `${formatUsd(f.monthToDate.costUsd)} spent in the first ${f.monthToDate.days} days of ${f.monthToDate.month}, forecast ${formatUsd(f.forecast.monthEndCostUsd)} at month end${budget}.`;
}

function healthAlt(s: Snapshot, m: Marks): string {
  const parts = s.health.components.map((c) => {
    const [name, reading] = componentReading(c);
    return `${name} ${reading.replaceAll(' · ', ', ')} (${c.score === null ? 'no score' : `score ${Math.round(c.score)}`})`;
  });
  const score = s.health.score === null ? 'Not scored' : `Score ${Math.round(s.health.score)} of 100`;
  return `${score} ${onPeriod(m.highlight.length ? m.highlight : [s.period.label], s.period.label)}. ${parts.join('; ')}.`;
}

export function planChart(id: BuiltinChart, d: ChartData): ChartPlan {
  const s = d.snapshot;
  const m = chartMarks(s);
  switch (id) {
    case 'daily_cost_by_provider':
      return {
        id,
        title: 'Cost per day by provider',
        alt: costAlt(d, m),
        spec: dailyCostByProvider(d.series, { highlight: m.highlight }),
      };
    case 'requests_and_success_rate':
      return {
        id,
        title: 'Success rate and requests',
        alt: requestsAlt(d, m),
        spec: requestsAndSuccessRate(d.series, { highlight: m.highlight, slo: m.slo }),
      };
    case 'p95_by_service_type':
      return {
        id,
        title: 'p95 latency by service type',
        alt: latencyAlt(d, m),
        spec: p95ByServiceType(d.latency, { highlight: m.highlight, targetsMs: m.targetsMs }),
      };
    case 'top_models_by_cost':
      return { id, title: 'Top models by cost', alt: modelsAlt(s), spec: topModelsByCost(s) };
    case 'provider_comparison':
      return { id, title: 'Providers compared', alt: providersAlt(s, m), spec: providerComparison(s, m) };
    case 'month_to_date_vs_budget':
      return {
        id,
        title: 'Month to date vs budget',
        alt: budgetAlt(s),
        spec: monthToDateVsBudget(s, dailyCostsOfMonth(d.series, s.finance.monthToDate.month)),
      };
    case 'health_components':
      return { id, title: 'Health components', alt: healthAlt(s, m), spec: healthComponents(s) };
  }
}
