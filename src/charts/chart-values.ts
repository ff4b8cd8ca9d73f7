import { providerKey } from './theme.js';

/**
 * The values the chart specs show, made safe to draw (numbers kept only when finite, text made
 * printable and short, days checked), and every label's wording: the charts format numbers only
 * through the functions here, so one switch changes them all.
 */

export type Row = Record<string, string | number | null>;

const LABEL_CHARS = 40;
const MINUS = '\u2212';

/** A finite number, or null (NaN, ±Infinity, null, undefined, strings). */
export const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Printable one-line text: control characters removed (they make the SVG invalid XML). */
export const clean = (s: unknown): string =>
  String(s ?? '')
    .replace(/[\p{Cc}\p{Cs}\uFFFE\uFFFF]+/gu, ' ')
    .trim();

export function truncate(s: string, max = LABEL_CHARS): string {
  const chars = Array.from(clean(s));
  return chars.length <= max
    ? chars.join('')
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

export const isDay = (d: unknown): d is string =>
  typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d));
export const provider = (p: unknown) => providerKey(clean(p)) || 'unknown';

const sign = (x: number) => (x < 0 ? MINUS : '');
const grouped = (x: number, digits: number, trim = false) =>
  Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: trim ? 0 : digits, maximumFractionDigits: digits });

/** "$1,234.56", "−$40.00". */
export const usd = (x: number) => `${sign(x)}$${grouped(x, 2)}`;
/** Axis ticks: "$20", "$2.5". */
export const usdTick = (x: number) => `${sign(x)}$${grouped(x, 2, true)}`;
/** A fraction as a percentage: 0.9384 → "93.8%". */
export const pct = (x: number) => `${sign(x)}${grouped(x * 100, 1)}%`;
/** Axis ticks: 0.9 → "90%", 0.975 → "97.5%". */
export const pctTick = (x: number) => `${sign(x)}${grouped(x * 100, 1, true)}%`;
/** "1,234". */
export const count = (x: number) => `${sign(x)}${grouped(Math.round(x), 0)}`;
export const calls = (n: number) => `${count(n)} ${Math.round(n) === 1 ? 'call' : 'calls'}`;

/** Latency in the unit of its size: "850 ms", "8.1 s" (below 2 min), "2.4 min". */
export function ms(x: number, trim = false): string {
  if (Math.abs(x) < 1000) return `${count(x)} ms`;
  if (Math.abs(x) < 120_000) return `${sign(x)}${grouped(x / 1000, 1, trim)} s`;
  return `${sign(x)}${grouped(x / 60_000, 1, trim)} min`;
}
/** Axis ticks: "0", "500 ms", "10 s", "2 min". */
export const msTick = (x: number) => (x === 0 ? '0' : ms(x, true));

/** "Dec 6" for a "YYYY-MM-DD" day (UTC: the day is already local to the report). */
export const shortDay = (d: string) =>
  new Date(`${d}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * Axis labels written by the functions above instead of a d3 format: the tick values and a vega
 * expression that maps each one to its label.
 */
export function axisLabels(values: readonly number[], label: (x: number) => string) {
  const expr = values.reduceRight(
    (rest, v) => `datum.value == ${JSON.stringify(v)} ? ${JSON.stringify(label(v))} : ${rest}`,
    "''",
  );
  return { values: [...values], labelExpr: expr };
}

/** The same rule as msTick, as a vega expression, for axes whose ticks vega chooses. */
export const msExpr = (v: string) =>
  `${v} >= 120000 ? format(${v} / 60000, ',.1~f') + ' min' : ${v} >= 1000 ? format(${v} / 1000, ',.1~f') + ' s' : format(${v}, ',.0f') + ' ms'`;

/** d3 formats for axes whose ticks vega chooses (cost and counts). */
export const FORMAT = { usdAxis: '$,.2~f', countAxis: ',d' } as const;

/** An age in minutes: "under 1 min", "25 min", "2.5 h". */
export function minutes(m: number): string {
  if (m < 1) return 'under 1 min';
  if (m < 120) return `${count(m)} min`;
  return `${grouped(m / 60, 1)} h`;
}
