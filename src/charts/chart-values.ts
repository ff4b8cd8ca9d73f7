import { formatAge, formatCount, formatMs, formatRate, formatUsd, latencyFormat } from '../messages/format.js';
import { providerKey } from './theme.js';

/**
 * The values the chart specs show, made safe to draw (numbers kept only when finite, text made
 * printable and short, days checked), and every label's wording: the charts format numbers only
 * through the functions here.
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
const grouped = (x: number, digits: number) =>
  Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });

// Labels read like the messages beside them: the one formatter (src/messages/format.ts).
/** "$1,234.56", "−$40.00", "$12,346". */
export const usd = (x: number) => formatUsd(x);
/** A fraction as a percentage: 0.9384 → "93.8%". */
export const pct = (x: number) => formatRate(x);
/** "1,234". */
export const count = (x: number) => formatCount(x);
export const calls = (n: number) => `${count(n)} ${Math.round(n) === 1 ? 'call' : 'calls'}`;
/** Latency in the unit of its size: "850 ms", "8.1 s" (below 2 min), "2.4 min". */
export const ms = (x: number) => formatMs(x);
/** Latencies read together (a value and its target): one unit for both, from the larger. */
export const msTogether = (values: Array<number | null>) => latencyFormat(values);
/** An age in minutes: "under 1 min", "25 min", "2.5 h". */
export const minutes = (m: number) => formatAge(m);

// Axis ticks are round numbers: the same units, without trailing zeros.
/** "$20", "$2.5", "$5,000". */
export const usdTick = (x: number) => `${sign(x)}$${grouped(x, 2)}`;
/** 0.9 → "90%", 0.975 → "97.5%". */
export const pctTick = (x: number) => `${sign(x)}${grouped(x * 100, 1)}%`;
/** "0", "500 ms", "10 s", "2 min" (the units of formatMs: s below 2 min). */
export function msTick(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) < 1000) return `${sign(x)}${grouped(x, 0)} ms`;
  if (Math.abs(x) < 120_000) return `${sign(x)}${grouped(x / 1000, 1)} s`;
  return `${sign(x)}${grouped(x / 60_000, 1)} min`;
}

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
