import type { TopLevelSpec } from 'vega-lite';
import { topModelsByCost } from '../../src/charts/breakdown-charts.js';
import { healthComponents } from '../../src/charts/health-chart.js';
import { p95ByServiceType } from '../../src/charts/latency-chart.js';
import { providerComparison } from '../../src/charts/provider-comparison.js';
import { monthToDateVsBudget } from '../../src/charts/budget-chart.js';
import { dailyCostByProvider, healthTrend, requestsAndSuccessRate } from '../../src/charts/daily-charts.js';
import { alertSparkline } from '../../src/charts/sparkline.js';
import type { DailyCost, DailyLatency, DailySeries, HealthTrend, SparkPoint } from '../../src/charts/series.js';
import type { ModelRow, OperationsRow, Snapshot } from '../../src/metrics/snapshot.js';

/** Deterministic fixture data for the chart tests, goldens and the benchmark. */

export type ChartSnapshot = Pick<Snapshot, 'models' | 'operations' | 'finance' | 'health' | 'period'>;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const END = Date.UTC(2026, 10, 23);
/** Day i of the 30 days that end on `end` ("YYYY-MM-DD"). */
const day = (i: number, end = END) => new Date(end - (29 - i) * 86_400_000).toISOString().slice(0, 10);
const PAIRS: Array<[string, string, number, number]> = [
  ['openai', 'content', 9000, 0.4],
  ['anthropic', 'content', 6000, 0.5],
  ['flux', 'images', 2500, 2.1],
  ['ideogram', 'images', 900, 1.6],
  ['luma', 'video', 120, 28],
  ['runway', 'video', 80, 35],
];

/** 30 days of provider traffic ending on `lastDay` (2026-11-23 unless given). */
export function series(lastDay?: string): DailySeries {
  const end = lastDay ? Date.parse(lastDay) : END;
  const r = rng(7);
  const out: DailySeries = [];
  for (let i = 0; i < 30; i++) {
    const weekend = [0, 6].includes(new Date(day(i, end)).getUTCDay()) ? 0.6 : 1;
    for (const [provider, serviceType, base, unit] of PAIRS) {
      const requests = Math.round(base * weekend * (0.8 + 0.4 * r()));
      const successes = Math.round(requests * (0.965 + 0.03 * r()));
      out.push({
        date: day(i, end),
        provider,
        serviceType,
        requests,
        successes,
        costUsd: +(requests * unit * 0.01 * (0.9 + 0.2 * r())).toFixed(2),
        p95LatencyMs: Math.round(4000 + unit * 5000 * r()),
      });
    }
  }
  return out;
}

export function latency(lastDay?: string): DailyLatency {
  const end = lastDay ? Date.parse(lastDay) : END;
  const r = rng(11);
  const base: Record<string, number> = { content: 6500, images: 14000, video: 190000 };
  return Array.from({ length: 30 }, (_, i) =>
    Object.entries(base).map(([serviceType, ms]) => ({
      date: day(i, end),
      serviceType,
      p95LatencyMs: Math.round(ms * (0.8 + 0.4 * r())),
    })),
  ).flat();
}

export function dailyCosts(): DailyCost {
  const r = rng(3);
  return Array.from({ length: 23 }, (_, i) => ({
    date: `2026-11-${String(i + 1).padStart(2, '0')}`,
    costUsd: +(120 + 60 * r()).toFixed(2),
  }));
}

function healthTrendData(): HealthTrend {
  const r = rng(5);
  return Array.from({ length: 30 }, (_, i) => ({ date: day(i), score: Math.round(75 + 24 * r()) }));
}

function sparkPoints(): SparkPoint[] {
  const r = rng(9);
  return Array.from({ length: 36 }, (_, i) => ({
    at: new Date(END + 8 * 3_600_000 + i * 600_000).toISOString(),
    value: Math.round(9000 + 4000 * r() + (i > 28 ? 9000 : 0)),
  }));
}

export function model(provider: string, serviceType: string, name: string, costUsd: number, requests = 1000): ModelRow {
  return {
    provider,
    serviceType,
    model: name,
    requests,
    costUsd,
    costPerRequest: costUsd / requests,
    tokens: 0,
    images: 0,
    videoSeconds: 0,
    uniqueUsers: 10,
  };
}

const delta = { kind: 'relative', value: null } as unknown as OperationsRow['deltas']['requests'];
export function operation(
  provider: string,
  serviceType: string,
  requests: number,
  successRate: number | null,
  p95LatencyMs: number | null,
  costUsd = 10,
): OperationsRow {
  return {
    provider,
    serviceType,
    requests,
    costUsd,
    successRate,
    avgLatencyMs: p95LatencyMs,
    p95LatencyMs,
    deltas: { requests: delta, costUsd: delta, successRate: delta, p95LatencyMs: delta },
  };
}

export function snapshot(): ChartSnapshot {
  return {
    period: { label: '2026-11-23', start: '2026-11-23T00:00:00.000Z', end: '2026-11-24T00:00:00.000Z', hours: 24 },
    models: {
      top: [
        model('openai', 'content', 'gpt-4o', 412.5),
        model('anthropic', 'content', 'claude-sonnet-4-5-20250929', 388.1),
        model('flux', 'images', 'flux-1.1-pro-ultra', 201.9),
        model('luma', 'video', 'ray-2', 188.0),
        model('runway', 'video', 'gen-4-turbo', 150.2),
        model('ideogram', 'images', 'ideogram-v3-quality-with-a-very-long-model-name-that-goes-on-and-on', 98.4),
        model('openai', 'content', 'gpt-4o-mini', 61.3),
        model('anthropic', 'content', 'claude-haiku-4-5', 40.7),
      ],
      other: { ...model('other', 'other', 'other', 55.5, 3000), models: 14 },
    },
    operations: [
      operation('openai', 'content', 9000, 0.991, 6400),
      operation('anthropic', 'content', 6000, 0.987, 7800),
      operation('flux', 'images', 2500, 0.972, 13500),
      operation('ideogram', 'images', 900, 0.95, 16800),
      operation('luma', 'video', 120, 0.91, 185000),
      operation('runway', 'video', 80, 0.96, 212000),
    ],
    finance: {
      mrrUsd: 12000,
      activeSubscriptions: 300,
      periodRevenueUsd: 400,
      periodCostUsd: 150,
      grossMarginUsd: 250,
      grossMarginRate: 0.62,
      monthToDate: { month: '2026-11', days: 23, costUsd: dailyCosts().reduce((n, d) => n + d.costUsd, 0) },
      forecast: { monthEndCostUsd: 4650, remainingDays: 7, method: 'fixture' },
      budget: { monthlyUsd: 5000, monthToDateShareUsd: 3833.33, forecastVsBudget: 0.93 },
    },
    health: {
      score: 86.4,
      components: [
        {
          key: 'success_rate',
          inputs: { successRate: 0.984, requests: 5000, expectedRequests: 4800, slo: 0.99, floor: 0.9 },
          value: 0.984,
          target: 'SLO 99.0%',
          score: 93.3,
          weight: 40,
          contribution: 37.3,
          note: '',
        },
        {
          key: 'latency',
          inputs: { services: [{ serviceType: 'content', p95Ms: 7800, targetMs: 15000, requests: 5000, score: 100 }] },
          value: 7800,
          target: 'p95 ≤ target per service',
          score: 71.5,
          weight: 25,
          contribution: 17.9,
          note: '',
        },
        {
          key: 'cost',
          inputs: {
            costUsd: 150,
            basis: 'budget',
            budgetUsd: 166.67,
            baselineUsd: null,
            baselinePeriodsUsd: [],
            baselineRule: null,
          },
          value: 150,
          target: 'budget $166.67',
          score: 100,
          weight: 20,
          contribution: 20,
          note: '',
        },
        {
          key: 'freshness',
          inputs: {
            dataAgeMinutes: 95,
            refreshAgeMinutes: 5,
            maxDataAgeMinutes: 60,
            maxRefreshAgeMinutes: 15,
            decidedBy: 'data',
          },
          value: 95,
          target: 'data ≤ 60 min',
          score: 45,
          weight: 15,
          contribution: 6.8,
          note: '',
        },
      ],
      override: null,
    },
  };
}

/** The charts kept as golden PNGs (test/charts/golden/<name>.png). */
export const GOLDEN = [
  'daily-cost-by-provider',
  'requests-and-success-rate',
  'top-models-by-cost',
  'provider-comparison',
  'health-components',
  'alert-sparkline',
  'no-data',
];

export interface ChartCase {
  name: string;
  spec: TopLevelSpec;
  width: number;
  height: number;
}

/** What the digest passes the charts from the snapshot: the report's day, the SLO and targets. */
export const REPORT_DAY = day(29);
export const TARGETS_MS = { content: 15_000, images: 30_000, video: 240_000 };
export const HEALTH_LIMITS = { slo: 0.99, floor: 0.9 };

/**
 * Every catalog chart over the fixtures, with its size at 2×: 1104 px wide, the email column's
 * 552 CSS px. Heights were read off the rendered charts after looking at them.
 */
export function catalogCases(): ChartCase[] {
  const s = snapshot();
  const highlight = [REPORT_DAY];
  return [
    {
      name: 'daily-cost-by-provider',
      spec: dailyCostByProvider(series(), { highlight }),
      width: 1104,
      height: 760,
    },
    {
      name: 'requests-and-success-rate',
      spec: requestsAndSuccessRate(series(), { highlight, slo: HEALTH_LIMITS.slo }),
      width: 1104,
      height: 934,
    },
    {
      name: 'p95-by-service-type',
      spec: p95ByServiceType(latency(), { highlight, targetsMs: TARGETS_MS }),
      width: 1104,
      height: 1012,
    },
    { name: 'top-models-by-cost', spec: topModelsByCost(s), width: 1104, height: 1044 },
    {
      name: 'provider-comparison',
      spec: providerComparison(s, { ...HEALTH_LIMITS, targetsMs: TARGETS_MS }),
      width: 1104,
      height: 1596,
    },
    { name: 'month-to-date-vs-budget', spec: monthToDateVsBudget(s, dailyCosts()), width: 1104, height: 660 },
    { name: 'health-components', spec: healthComponents(s), width: 1104, height: 544 },
    { name: 'health-trend', spec: healthTrend(healthTrendData(), { highlight }), width: 1104, height: 660 },
    {
      name: 'alert-sparkline',
      spec: alertSparkline(sparkPoints(), 18000, 'ms', 'p95 latency, content'),
      width: 600,
      height: 160,
    },
    { name: 'no-data', spec: dailyCostByProvider([]), width: 1104, height: 280 },
  ];
}
