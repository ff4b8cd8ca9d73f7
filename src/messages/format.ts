/**
 * Number formatting shared by every message (Slack, email HTML, plain text), so the same
 * figure reads the same everywhere. Locale is fixed (en-US): a digest must not change its
 * decimal separator with the server it runs on.
 */
const MINUS = '\u2212';

export function formatUsd(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  const digits = abs !== 0 && abs < 1 ? 4 : 2;
  return `${x < 0 ? MINUS : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

export function formatCount(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return `${x < 0 ? MINUS : ''}${Math.round(Math.abs(x)).toLocaleString('en-US')}`;
}

/** A fraction as a percentage: 0.9734 → "97.3%". */
export function formatRate(x: number | null, decimals = 1): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(decimals)}%`;
}

/** 830 → "830 ms", 15_400 → "15.4 s", 240_000 → "4.0 min". */
export function formatMs(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  if (x < 10_000) return `${Math.round(x)} ms`;
  if (x < 120_000) return `${(x / 1000).toFixed(1)} s`;
  return `${(x / 60_000).toFixed(1)} min`;
}

/** A signed amount: "+$1.20", "−$0.40". */
export const formatSignedUsd = (x: number) => (x > 0 ? `+${formatUsd(x)}` : formatUsd(x));

/** Percentage points with their sign: "+1.25 pp", "−0.50 pp"; "0.00 pp" when it rounds to zero. */
export function formatSignedPp(x: number): string {
  const s = Math.abs(x).toFixed(2);
  return Number(s) === 0 ? `${s} pp` : `${x < 0 ? MINUS : '+'}${s} pp`;
}
