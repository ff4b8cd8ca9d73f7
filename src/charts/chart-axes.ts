/** The axes the charts share: one band per calendar day, and round latency ticks. */

export function dayRange(days: string[]): string {
  const sorted = [...new Set(days)].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return '';
  if (first === last) return `on ${last}`;
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  return `last ${span} days to ${last}`;
}

const MS_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 3e4, 6e4, 12e4, 3e5, 6e5, 12e5, 18e5, 36e5,
];

/** Round latency ticks (500 ms, 1 s, 2 s, 5 s, … 1 min, 2 min, 5 min) for a linear axis 0..max. */
export function msTicks(max: number, count = 4): number[] {
  const step = MS_STEPS.find((s) => max / s <= count) ?? 36e5 * Math.ceil(max / 36e5 / count);
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

/** Ticks for a log axis over [lo, hi]: the round steps inside it, thinned to about `count`. */
export function msLogTicks(lo: number, hi: number, count = 6): number[] {
  const inside = MS_STEPS.filter((s) => s >= lo && s <= hi);
  const every = Math.max(1, Math.ceil(inside.length / count));
  return inside.filter((_, i) => i % every === 0);
}

/**
 * The x encoding of the per-day charts: one band per calendar day (missing days stay as gaps,
 * unless the range is absurd), the label centred under its bar or point, about 8 labels, the
 * last day always labelled. Dates are "YYYY-MM-DD" strings, formatted in UTC (no process TZ).
 */
export function dayX(days: string[]) {
  const present = [...new Set(days)].sort();
  const first = present[0] ?? '';
  const last = present[present.length - 1] ?? '';
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  const domain =
    span > 0 && span <= 400
      ? Array.from({ length: span }, (_, i) => new Date(Date.parse(first) + i * 86_400_000).toISOString().slice(0, 10))
      : present;
  const every = Math.max(1, Math.ceil(domain.length / 8));
  const labelled = domain.filter((_, i) => (domain.length - 1 - i) % every === 0);
  return {
    field: 'date',
    type: 'ordinal' as const,
    scale: { domain, paddingInner: 0.1, paddingOuter: 0.05 },
    axis: {
      values: labelled,
      labelExpr: "utcFormat(toDate(datum.value), '%b %-d')",
      labelAngle: 0,
      title: null,
      grid: false,
      labelOverlap: false,
      ticks: false,
    },
  };
}
