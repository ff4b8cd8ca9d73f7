import { axisLabels, msTick, pctTick, shortDay } from './chart-values.js';
import { interWidth } from './text-width.js';
import { INK, TEXT } from './theme.js';

/** The axes the charts share: one band per calendar day, zoomed rate axes, round latency ticks. */

export function dayRange(days: string[]): string {
  const sorted = [...new Set(days)].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return '';
  if (first === last) return `on ${shortDay(last)}`;
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  return `${span} days to ${shortDay(last)}`;
}

const MS_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 3e4, 6e4, 12e4, 3e5, 6e5, 12e5, 18e5, 36e5,
];

/** Round latency ticks (500 ms, 1 s, 2 s, 5 s, … 1 min, 2 min, 5 min) for a linear axis 0..max. */
export function msTicks(max: number, count = 4): number[] {
  const step = MS_STEPS.find((s) => max / s <= count) ?? 36e5 * Math.ceil(max / 36e5 / count);
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

/** Steps of a log axis: each about three times the one before. */
const MS_LOG_STEPS = [1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 6e4, 12e4, 3e5, 6e5, 18e5, 36e5];

/** Ticks for a log axis over [lo, hi]: the round steps inside it, thinned to about `count`. */
export function msLogTicks(lo: number, hi: number, count = 5): number[] {
  const inside = MS_LOG_STEPS.filter((s) => s >= lo && s <= hi);
  const every = Math.max(1, Math.ceil(inside.length / count));
  return inside.filter((_, i) => i % every === 0);
}

/** Round ticks from 0 to at least `max`: steps of 1, 2, 2.5 or 5 × 10^k, at most `count` of them. */
export function niceTicks(max: number, count = 3): number[] {
  if (!(max > 0)) return [0, 1];
  const magnitude = 10 ** Math.floor(Math.log10(max / count));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => Math.ceil(max / s) <= count) ?? 10 * magnitude;
  return Array.from({ length: Math.ceil(max / step - 1e-9) + 1 }, (_, i) => +(i * step).toPrecision(12));
}

/**
 * The room a left axis needs for these labels (tick, padding and the widest label in Inter), so
 * panels stacked in one picture can reserve the same room and keep their plots aligned.
 */
export const labelExtent = (labels: readonly string[]) =>
  Math.ceil(Math.max(0, ...labels.map((l) => interWidth(l, TEXT.body)))) + 5 + 4 + 2;

/** A latency axis: the given ticks, labelled "500 ms", "10 s", "2 min". */
export const msAxis = (ticks: number[]) => axisLabels(ticks, msTick);

/** Where a zoomed success-rate axis may start: the highest of these at or below every value. */
const RATE_FLOORS = [0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5, 0];

/**
 * A success-rate axis zoomed to where the values (and the SLO) are: from the highest round floor
 * below them to 100%, ticks labelled "90%", "95%", "100%". `from` is said in the chart's words
 * ("axis from 90%") because a zoomed axis must say so.
 */
export function rateAxis(values: readonly number[], slo: number | null = null) {
  const lows = [...values, ...(slo === null ? [] : [slo])];
  const min = lows.length ? Math.min(...lows) : 0;
  // A little room under the lowest value, so its dot is not drawn on the axis line.
  const from = RATE_FLOORS.find((f) => f <= min - 0.002) ?? 0;
  // In tenths of a percent, so the steps divide the range exactly.
  const span = Math.round((1 - from) * 1000);
  const step =
    [2, 5, 10, 20, 50, 100, 200, 250, 500].find((s) => span % s === 0 && span / s >= 2 && span / s <= 4) ??
    (span % 25 === 0 ? 25 : span / 2);
  const ticks = Array.from({ length: span / step + 1 }, (_, i) => (Math.round(from * 1000) + i * step) / 1000);
  return {
    domain: [from, 1] as [number, number],
    from,
    note: `axis from ${pctTick(from)}`,
    ...axisLabels(ticks, pctTick),
  };
}

/**
 * The x encoding of the per-day charts: one band per calendar day (missing days stay as gaps,
 * unless the range is absurd), labels a week apart ending on the last day (so they share its
 * weekday), the highlighted days' labels in bold. Dates are "YYYY-MM-DD" strings, formatted in
 * UTC (no process TZ).
 */
export function dayX(days: string[], highlight: readonly string[] = []) {
  const present = [...new Set(days)].sort();
  const first = present[0] ?? '';
  const last = present[present.length - 1] ?? '';
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  const domain =
    span > 0 && span <= 400
      ? Array.from({ length: span }, (_, i) => new Date(Date.parse(first) + i * 86_400_000).toISOString().slice(0, 10))
      : present;
  // About five labels fit the width at the chart's text size.
  const every = domain.length <= 5 ? 1 : domain.length <= 10 ? 2 : 7 * Math.max(1, Math.ceil(domain.length / 35));
  const labelled = domain.filter((_, i) => (domain.length - 1 - i) % every === 0);
  const marked = highlight.filter((d) => labelled.includes(d));
  const test = `indexof(${JSON.stringify(marked)}, datum.value) >= 0`;
  return {
    field: 'date',
    type: 'ordinal' as const,
    scale: { domain, paddingInner: 0.15, paddingOuter: 0.1 },
    axis: {
      values: labelled,
      labelExpr: "utcFormat(toDate(datum.value), '%b %-d')",
      labelAngle: 0,
      labelBaseline: 'top' as const,
      title: null,
      grid: false,
      labelOverlap: false,
      ticks: false,
      // The last label ends at its day instead of overhanging the plot's right edge.
      labelAlign: {
        condition: { test: `datum.value == ${JSON.stringify(last)}`, value: 'right' as const },
        value: 'center' as const,
      },
      ...(marked.length
        ? {
            labelFontWeight: { condition: { test, value: 'bold' as const }, value: 'normal' as const },
            labelColor: { condition: { test, value: INK.text }, value: INK.muted },
          }
        : {}),
    },
  };
}
