import { providerKey } from './theme.js';

/**
 * The values the chart specs show, made safe to draw: numbers kept only when finite, text made
 * printable and short, days checked, money and rates formatted the same way in every chart.
 */

export type Row = Record<string, string | number | null>;

const LABEL_CHARS = 40;

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
export const usd = (x: number) =>
  `${x < 0 ? '−' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
