import type { TopLevelSpec } from 'vega-lite';
import { healthComponents, providerComparison, topModelsByCost } from '../charts/breakdown-charts.js';
import { monthToDateVsBudget } from '../charts/budget-chart.js';
import { dailyCostByProvider, p95ByServiceType, requestsAndSuccessRate } from '../charts/daily-charts.js';
import type { DailyCost, DailyLatency, DailySeries } from '../charts/series.js';
import type { BuiltinChart } from '../config/schema.js';
import type { Snapshot } from '../metrics/snapshot.js';
import { formatMs, formatRate, formatUsd } from '../messages/format.js';

/**
 * The built-in charts of a digest: for each id its title, its Vega-Lite spec and an alt text
 * that states what the chart shows in one sentence (read by screen readers, and shown by mail
 * clients that block images). Pure: data in, specs out.
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

const sumBy = <T>(xs: readonly T[], key: (x: T) => string, value: (x: T) => number) => {
  const out = new Map<string, number>();
  for (const x of xs) out.set(key(x), (out.get(key(x)) ?? 0) + value(x));
  return out;
};
const largest = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])[0];

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

function costAlt(d: ChartData): string {
  const days = new Set(d.series.map((r) => r.date)).size;
  const total = d.series.reduce((n, r) => n + r.costUsd, 0);
  const top = largest(
    sumBy(
      d.series,
      (r) => r.provider,
      (r) => r.costUsd,
    ),
  );
  if (!top) return 'No cost was recorded in the last 30 days.';
  return `Cost per day by provider over ${days} days: ${formatUsd(total)} in total, most of it ${top[0]} (${formatUsd(top[1])}).`;
}

function requestsAlt(d: ChartData): string {
  const requests = d.series.reduce((n, r) => n + r.requests, 0);
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
  if (requests === 0) return 'No requests in the last 30 days.';
  return `Requests per day with the success rate: ${requests.toLocaleString('en-US')} requests, ${formatRate(successes / requests)} successful${worst ? `; the lowest day was ${worst[0]} at ${formatRate(worst[1])}` : ''}.`;
}

function latencyAlt(d: ChartData): string {
  const last = [...d.latency].sort((a, b) => b.date.localeCompare(a.date))[0]?.date;
  if (!last) return 'No latency was recorded in the last 30 days.';
  const parts = d.latency.filter((r) => r.date === last).map((r) => `${r.serviceType} ${formatMs(r.p95LatencyMs)}`);
  return `p95 latency per day by service type; on ${last}: ${parts.join(', ')}.`;
}

function modelsAlt(s: Snapshot): string {
  const top = s.models.top.slice(0, 3).map((m) => `${m.provider}/${m.model} ${formatUsd(m.costUsd)}`);
  return top.length
    ? `Top models by cost on ${s.period.label}: ${top.join(', ')}.`
    : `No model was used on ${s.period.label}.`;
}

function providersAlt(s: Snapshot): string {
  const rows = s.operations
    .slice(0, 4)
    .map((o) => `${o.provider} ${o.serviceType} ${formatRate(o.successRate)} at p95 ${formatMs(o.p95LatencyMs)}`);
  return rows.length
    ? `Success rate and p95 latency by provider on ${s.period.label}: ${rows.join('; ')}.`
    : `No provider traffic on ${s.period.label}.`;
}

function budgetAlt(s: Snapshot): string {
  const f = s.finance;
  const budget = f.budget ? ` against a budget of ${formatUsd(f.budget.monthlyUsd)}` : ' (no budget set)';
  return `Month to date ${f.monthToDate.month}: ${formatUsd(f.monthToDate.costUsd)} over ${f.monthToDate.days} days, forecast ${formatUsd(f.forecast.monthEndCostUsd)} at month end${budget}.`;
}

function healthAlt(s: Snapshot): string {
  const parts = s.health.components.map(
    (c) => `${c.key.replace('_', ' ')} ${c.score === null ? 'no data' : Math.round(c.score)}`,
  );
  return `Health ${s.health.score === null ? 'not scored' : `${Math.round(s.health.score)} of 100`} on ${s.period.label}: ${parts.join(', ')}.`;
}

export function planChart(id: BuiltinChart, d: ChartData): ChartPlan {
  const s = d.snapshot;
  switch (id) {
    case 'daily_cost_by_provider':
      return { id, title: 'Cost per day by provider', alt: costAlt(d), spec: dailyCostByProvider(d.series) };
    case 'requests_and_success_rate':
      return { id, title: 'Requests and success rate', alt: requestsAlt(d), spec: requestsAndSuccessRate(d.series) };
    case 'p95_by_service_type':
      return { id, title: 'p95 latency by service type', alt: latencyAlt(d), spec: p95ByServiceType(d.latency) };
    case 'top_models_by_cost':
      return { id, title: 'Top models by cost', alt: modelsAlt(s), spec: topModelsByCost(s) };
    case 'provider_comparison':
      return { id, title: 'Providers compared', alt: providersAlt(s), spec: providerComparison(s) };
    case 'month_to_date_vs_budget':
      return {
        id,
        title: 'Month to date vs budget',
        alt: budgetAlt(s),
        spec: monthToDateVsBudget(s, dailyCostsOfMonth(d.series, s.finance.monthToDate.month)),
      };
    case 'health_components':
      return { id, title: 'Health components', alt: healthAlt(s), spec: healthComponents(s) };
  }
}
