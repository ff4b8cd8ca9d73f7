import type { TopLevelSpec } from 'vega-lite';
import { dayRange, dayX, labelExtent, msAxis, msTicks } from './chart-axes.js';
import { noData, panelTitle } from './chart-frame.js';
import { dayBand, thresholdRule } from './chart-marks.js';
import { clean, isDay, msTick, msTogether, num, shortDay } from './chart-values.js';
import { type DayChartOptions, highlightName } from './daily-charts.js';
import type { DailyLatency } from './series.js';
import { CHART_WIDTH, config, INK } from './theme.js';

/**
 * p95 latency per day, one small panel per service type, each on its own linear axis from zero
 * with its target (config health.latency_p95_ms) as a dashed line. Video is minutes and chat
 * seconds: one shared axis would flatten one of them, and a log axis hides how close to the
 * target a line runs.
 */

/** Panels drawn at most; the subtitle names the service types left out. */
const MAX_PANELS = 4;
const ORDER = ['content', 'images', 'video'];
const PANEL_HEIGHT = 96;

export function p95ByServiceType(
  latency: DailyLatency,
  opts: DayChartOptions & { targetsMs?: Readonly<Record<string, number>> } = {},
): TopLevelSpec {
  const what = 'p95 latency per day by service type';
  const values = latency
    .map((r) => ({ date: r.date, serviceType: clean(r.serviceType) || 'unknown', p95LatencyMs: num(r.p95LatencyMs) }))
    .filter(
      (r): r is { date: string; serviceType: string; p95LatencyMs: number } =>
        isDay(r.date) && r.p95LatencyMs !== null && r.p95LatencyMs > 0,
    );
  if (values.length === 0) return noData(what);
  const rank = (s: string) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  const services = [...new Set(values.map((v) => v.serviceType))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const shown = services.slice(0, MAX_PANELS);
  const days = values.map((v) => v.date);
  const highlight = (opts.highlight ?? []).filter((d) => days.includes(d));
  const x = dayX(days, highlight);
  const padding = Number(config.padding);
  const subtitle = [`${dayRange(days)}`];
  if (highlight.length) subtitle[0] += ` · ${highlightName(highlight)} shaded`;
  if (services.length > shown.length) subtitle.push(`${services.length - shown.length} more service types not shown`);

  const scales = shown.map((service) => {
    const rows = values.filter((v) => v.serviceType === service);
    const target = num(opts.targetsMs?.[service]);
    const max = Math.max(...rows.map((r) => r.p95LatencyMs), target ?? 0) * 1.15;
    return { service, rows, target, max, ticks: msTicks(max, 3) };
  });
  // Every panel reserves the room of the widest tick label, so the days line up.
  const extent = labelExtent(scales.flatMap((s) => s.ticks.map(msTick)));
  const width = CHART_WIDTH - 2 * padding - extent;
  const panels = scales.map(({ service, rows, target, max, ticks }, i) => {
    const last = i === shown.length - 1;
    const xi = last ? x : { ...x, axis: { ...x.axis, labels: false, domain: false } };
    const y = {
      field: 'p95LatencyMs',
      type: 'quantitative' as const,
      title: null,
      scale: { domain: [0, max], nice: false },
      axis: { ...msAxis(ticks), minExtent: extent, maxExtent: extent },
    };
    // The report's (last shaded) day when it has a value, else the latest day.
    const marked = rows.filter((r) => highlight.includes(r.date));
    const latest = (marked.length ? marked : rows).reduce((a, b) => (b.date > a.date ? b : a));
    // The day's p95 and the target in one unit.
    const f = msTogether([latest.p95LatencyMs, target]);
    return {
      width,
      height: PANEL_HEIGHT,
      title: panelTitle(
        `${service} · ${f(latest.p95LatencyMs)} on ${shortDay(latest.date)}${target !== null && target > 0 ? ` · target ${f(target)} dashed` : ''}`,
        extent,
      ),
      data: { values: rows },
      layer: [
        ...dayBand(xi, highlight),
        ...(target !== null && target > 0 ? thresholdRule(y, target) : []),
        {
          mark: { type: 'line' as const, color: INK.series, strokeWidth: 2.5, point: { color: INK.series, size: 30 } },
          encoding: { x: xi, y },
        },
      ],
    };
  });
  return {
    config,
    title: { text: what, subtitle },
    spacing: 16,
    vconcat: panels,
  } as TopLevelSpec;
}
