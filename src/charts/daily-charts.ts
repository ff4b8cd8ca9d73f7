import type { TopLevelSpec } from 'vega-lite';
import { dayRange, dayX, msLogTicks } from './chart-axes.js';
import { frame, noData } from './chart-frame.js';
import { clean, isDay, num, pct, provider, type Row, usd } from './chart-values.js';
import type { DailyLatency, DailySeries, HealthTrend } from './series.js';
import { FORMAT, INK, msExpr, providerScale, serviceScale, SIZE } from './theme.js';

/**
 * The per-day charts: cost by provider, requests and success rate, p95 latency by service type and
 * the health score, each day on a band of its own (dayX in chart-axes.ts).
 */

/** Cost per day, stacked by provider. */
export function dailyCostByProvider(series: DailySeries): TopLevelSpec {
  const what = 'Cost per day by provider';
  const byKey = new Map<string, Row & { costUsd: number }>();
  for (const r of series) {
    const cost = num(r.costUsd);
    if (!isDay(r.date) || cost === null) continue;
    const p = provider(r.provider);
    const key = `${r.date}\u0000${p}`;
    const row = byKey.get(key) ?? { date: r.date, provider: p, costUsd: 0 };
    row.costUsd += cost;
    byKey.set(key, row);
  }
  const values = [...byKey.values()];
  if (values.length === 0) return noData(what);
  const colours = providerScale(values.map((v) => String(v.provider)));
  for (const v of values) v.order = colours.domain.indexOf(String(v.provider));
  const total = values.reduce((n, v) => n + v.costUsd, 0);
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => String(v.date)))}`, `${usd(total)} in total`, SIZE.wide),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: dayX(values.map((v) => String(v.date))),
      y: {
        field: 'costUsd',
        type: 'quantitative',
        stack: 'zero',
        title: 'Cost (USD)',
        axis: { format: FORMAT.usdAxis, tickCount: 5 },
      },
      color: { field: 'provider', type: 'nominal', scale: colours, legend: { title: null } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'provider' }, { field: 'costUsd', format: FORMAT.usd }],
    },
  };
}

/** Requests per day (bars, left axis) with the success rate (line, right axis). */
export function requestsAndSuccessRate(series: DailySeries): TopLevelSpec {
  const what = 'Requests and success rate per day';
  const byDay = new Map<string, { requests: number; successes: number }>();
  for (const r of series) {
    const requests = num(r.requests);
    if (!isDay(r.date) || requests === null) continue;
    const d = byDay.get(r.date) ?? { requests: 0, successes: 0 };
    d.requests += requests;
    d.successes += num(r.successes) ?? 0;
    byDay.set(r.date, d);
  }
  const values = [...byDay.entries()].map(([date, d]) => ({
    date,
    requests: d.requests,
    successRate: d.requests > 0 ? Math.min(1, Math.max(0, d.successes / d.requests)) : null,
  }));
  if (values.length === 0) return noData(what);
  const rates = values.map((v) => v.successRate).filter((x): x is number => x !== null);
  const lo = rates.length ? Math.max(0, Math.floor((Math.min(...rates) - 0.005) * 100) / 100) : 0;
  const requests = values.reduce((n, v) => n + v.requests, 0);
  const overall = series.reduce(
    (n, r) => n + (isDay(r.date) && num(r.requests) !== null ? (num(r.successes) ?? 0) : 0),
    0,
  );
  const subtitle = `${requests.toLocaleString('en-US')} requests · ${requests > 0 ? pct(overall / requests) : 'n/a'} successful`;
  const x = dayX(values.map((v) => v.date));
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, subtitle, SIZE.wide),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#9CC3E0' },
        encoding: {
          x,
          y: {
            field: 'requests',
            type: 'quantitative',
            title: 'Requests',
            axis: { format: FORMAT.countAxis, titleColor: '#4C88B8', tickCount: 5 },
          },
        },
      },
      {
        mark: { type: 'line', color: INK.bad, strokeWidth: 2, point: { color: INK.bad, size: 24 } },
        encoding: {
          x,
          y: {
            field: 'successRate',
            type: 'quantitative',
            title: 'Success rate',
            scale: { domain: [lo === 1 ? 0.99 : lo, 1] },
            axis: { format: lo >= 0.9 ? '.1%' : FORMAT.pctAxis, titleColor: INK.bad, grid: false, tickCount: 5 },
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}

/** p95 latency per day, one line per service type, on a log scale (video is minutes, chat seconds). */
export function p95ByServiceType(latency: DailyLatency): TopLevelSpec {
  const what = 'p95 latency per day by service type';
  const values = latency
    .map((r) => ({ date: r.date, serviceType: clean(r.serviceType) || 'unknown', p95LatencyMs: num(r.p95LatencyMs) }))
    .filter(
      (r): r is { date: string; serviceType: string; p95LatencyMs: number } =>
        isDay(r.date) && r.p95LatencyMs !== null && r.p95LatencyMs > 0,
    );
  if (values.length === 0) return noData(what);
  const lo = Math.min(...values.map((v) => v.p95LatencyMs)) / 1.6;
  const hi = Math.max(...values.map((v) => v.p95LatencyMs)) * 1.6;
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, 'log scale', SIZE.wide),
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: { size: 24 } },
    encoding: {
      x: dayX(values.map((v) => v.date)),
      y: {
        field: 'p95LatencyMs',
        type: 'quantitative',
        title: 'p95 latency',
        scale: { type: 'log', domain: [lo, hi], nice: false },
        axis: { labelExpr: msExpr('datum.value'), values: msLogTicks(lo, hi) },
      },
      color: {
        field: 'serviceType',
        type: 'nominal',
        scale: serviceScale(values.map((v) => v.serviceType)),
        legend: { title: null },
      },
    },
  };
}

/** Health score per day, 0–100, with the 90 and 70 bands. */
export function healthTrend(trend: HealthTrend): TopLevelSpec {
  const what = 'Health score per day';
  const values = trend
    .map((t) => {
      const s = num(t.score);
      return { date: t.date, score: s === null ? null : Math.min(100, Math.max(0, s)) };
    })
    .filter((t) => isDay(t.date) && t.score !== null);
  if (values.length === 0) return noData(what);
  const x = dayX(values.map((v) => v.date));
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, null, SIZE.wide),
    data: { values },
    layer: [
      {
        data: { values: [{ y: 90 }, { y: 70 }] },
        mark: { type: 'rule', color: '#B0B7BF', strokeDash: [3, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        mark: { type: 'line', color: INK.accent, strokeWidth: 2.5, point: { color: INK.accent, size: 24 } },
        encoding: {
          x,
          y: {
            field: 'score',
            type: 'quantitative',
            title: 'Score',
            scale: { domain: [0, 100] },
            axis: { values: [0, 25, 50, 70, 90, 100] },
          },
        },
      },
    ],
  };
}
