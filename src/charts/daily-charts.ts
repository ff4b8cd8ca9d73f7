import type { TopLevelSpec } from 'vega-lite';
import { dayRange, dayX, labelExtent, niceTicks, rateAxis } from './chart-axes.js';
import { frame, noData, panelTitle } from './chart-frame.js';
import { dayBand, thresholdRule } from './chart-marks.js';
import {
  axisLabels,
  count,
  FORMAT,
  isDay,
  num,
  pct,
  pctTick,
  provider,
  type Row,
  shortDay,
  usd,
} from './chart-values.js';
import type { HealthTrend, DailySeries } from './series.js';
import { CHART_WIDTH, config, INK, providerScale, SIZE } from './theme.js';

/**
 * The per-day charts: cost by provider, success rate over requests, and the health score, each
 * day on a band of its own (dayX in chart-axes.ts), the report's day (or days) on a pale band.
 * p95 latency per service type is in latency-chart.ts.
 */

export interface DayChartOptions {
  /** The report's day, or the days of its week or month ("YYYY-MM-DD"): drawn on a pale band. */
  highlight?: readonly string[];
}

/** "Dec 6" or "Nov 30–Dec 6": the highlighted days, as the subtitle names them. */
export function highlightName(days: readonly string[]): string {
  const sorted = [...days].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return '';
  return first === last ? shortDay(first) : `${shortDay(first)}–${shortDay(last)}`;
}

/** Cost per day, stacked by provider. */
export function dailyCostByProvider(series: DailySeries, opts: DayChartOptions = {}): TopLevelSpec {
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
  const days = values.map((v) => String(v.date));
  const highlight = (opts.highlight ?? []).filter((d) => days.includes(d));
  const marked = values.filter((v) => highlight.includes(String(v.date))).reduce((n, v) => n + v.costUsd, 0);
  const subtitle = [`${dayRange(days)} · ${usd(total)} in total`];
  if (highlight.length) subtitle.push(`${highlightName(highlight)} (outlined): ${usd(marked)}`);
  const x = dayX(days, highlight);
  return {
    ...frame(what, subtitle, { width: CHART_WIDTH, height: 380 }),
    data: { values },
    layer: [
      ...dayBand(x, highlight),
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          y: {
            field: 'costUsd',
            type: 'quantitative',
            stack: 'zero',
            title: null,
            axis: { format: FORMAT.usdAxis, tickCount: 4 },
          },
          color: {
            field: 'provider',
            type: 'nominal',
            scale: colours,
            legend: { title: null, columns: 3, labelLimit: 150 },
          },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      // The report's day(s) outlined, the whole stack.
      ...(highlight.length
        ? [
            {
              data: {
                values: highlight.map((date) => ({
                  date,
                  total: values.filter((v) => v.date === date).reduce((n, v) => n + v.costUsd, 0),
                })),
              },
              mark: { type: 'bar' as const, fillOpacity: 0, stroke: INK.series, strokeWidth: 2.5 },
              encoding: {
                x: { field: 'date', type: 'ordinal' as const, scale: x.scale },
                y: { field: 'total', type: 'quantitative' as const },
              },
            },
          ]
        : []),
    ],
  };
}

/**
 * The success rate per day on a zoomed axis with the SLO, above the requests per day: two panels
 * on one time axis, rather than two scales on one panel.
 */
export function requestsAndSuccessRate(
  series: DailySeries,
  opts: DayChartOptions & { slo?: number | null } = {},
): TopLevelSpec {
  const what = 'Success rate and requests per day';
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
  const slo = num(opts.slo);
  const rates = values.map((v) => v.successRate).filter((x): x is number => x !== null);
  const axis = rateAxis(rates, slo);
  const requests = values.reduce((n, v) => n + v.requests, 0);
  const successes = [...byDay.values()].reduce((n, d) => n + d.successes, 0);
  const days = values.map((v) => v.date);
  const highlight = (opts.highlight ?? []).filter((d) => byDay.has(d));
  const subtitle = [
    `${dayRange(days)} · ${count(requests)} requests, ${requests > 0 ? pct(successes / requests) : 'none'} successful`,
  ];
  if (highlight.length) {
    const h = highlight.map((d) => byDay.get(d)!);
    const n = h.reduce((s, d) => s + d.requests, 0);
    const ok = h.reduce((s, d) => s + d.successes, 0);
    subtitle.push(
      `${highlightName(highlight)} (dark bar): ${count(n)} requests${n > 0 ? `, ${pct(ok / n)} successful` : ''}`,
    );
  }
  const x = dayX(days, highlight);
  const padding = Number(config.padding);
  const requestTicks = niceTicks(Math.max(...values.map((v) => v.requests)), 3);
  const requestAxis = axisLabels(requestTicks, count);
  // Both panels reserve the same room for their y labels, so their days line up.
  const extent = labelExtent([...axis.values.map(pctTick), ...requestTicks.map(count)]);
  const width = CHART_WIDTH - 2 * padding - extent;
  const xTop = { ...x, axis: { ...x.axis, labels: false, domain: false } };
  const rateY = {
    field: 'successRate',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: axis.domain, nice: false, zero: false, clamp: true },
    axis: { values: axis.values, labelExpr: axis.labelExpr, minExtent: extent, maxExtent: extent },
  };
  const requestsY = {
    field: 'requests',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [0, requestTicks[requestTicks.length - 1]!], nice: false },
    axis: { ...requestAxis, minExtent: extent, maxExtent: extent },
  };
  return {
    config,
    title: { text: what, subtitle },
    data: { values },
    spacing: 18,
    vconcat: [
      {
        width,
        height: 170,
        title: panelTitle(
          `Success rate · ${axis.note}${slo !== null && slo >= axis.from ? ` · SLO ${pctTick(slo)} dashed` : ''}`,
          extent,
        ),
        layer: [
          ...dayBand(xTop, highlight),
          ...(slo !== null && slo >= axis.from ? thresholdRule(rateY, slo) : []),
          {
            mark: { type: 'line', color: INK.series, strokeWidth: 2.5, point: { color: INK.series, size: 36 } },
            encoding: { x: xTop, y: rateY },
          },
        ],
      },
      {
        width,
        height: 90,
        title: panelTitle('Requests', extent),
        layer: [
          ...dayBand(x, highlight),
          {
            mark: { type: 'bar' },
            encoding: {
              x,
              y: requestsY,
              // The report's day(s) in ink, the others grey.
              color: {
                condition: { test: `indexof(${JSON.stringify(highlight)}, datum.date) >= 0`, value: INK.series },
                value: INK.seriesLight,
              },
            },
          },
        ],
      },
    ],
  };
}

/** Health score per day, 0–100, with the 90 (good) and 70 (watch) lines. */
export function healthTrend(trend: HealthTrend, opts: DayChartOptions = {}): TopLevelSpec {
  const what = 'Health score per day';
  const values = trend
    .map((t) => {
      const s = num(t.score);
      return { date: t.date, score: s === null ? null : Math.min(100, Math.max(0, s)) };
    })
    .filter((t) => isDay(t.date) && t.score !== null);
  if (values.length === 0) return noData(what);
  const days = values.map((v) => v.date);
  const highlight = (opts.highlight ?? []).filter((d) => days.includes(d));
  const x = dayX(days, highlight);
  // Zoomed to where the scores are, 50 at most, in steps of 10.
  const from = Math.max(0, Math.min(50, Math.floor((Math.min(...values.map((v) => v.score!)) - 5) / 10) * 10));
  const y = {
    field: 'score',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [from, 100], nice: false },
    axis: { values: [from, 70, 90, 100].filter((v, i, a) => a.indexOf(v) === i) },
  };
  return {
    ...frame(
      what,
      [`${dayRange(days)} · 100 is best · axis from ${from}`, 'Dashed at 90 (good) and 70 (watch)'],
      SIZE.wide,
    ),
    data: { values },
    layer: [
      ...dayBand(x, highlight),
      ...thresholdRule(y, 90),
      ...thresholdRule(y, 70),
      {
        mark: { type: 'line', color: INK.series, strokeWidth: 2.5, point: { color: INK.series, size: 36 } },
        encoding: { x, y },
      },
    ],
  };
}
