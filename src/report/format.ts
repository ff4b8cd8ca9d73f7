import { formatDelta, type Delta } from '../metrics/deltas.js';

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

/** Whether "up" is good news for a KPI: more requests yes, more cost or latency no. */
export type Polarity = 'up-is-good' | 'up-is-bad' | 'neutral';

export type Trend = 'up' | 'down' | 'flat' | 'none';

export function trendOf(delta: Delta): Trend {
  switch (delta.kind) {
    case 'relative':
      return Math.abs(delta.ratio) < 0.0005 ? 'flat' : delta.ratio > 0 ? 'up' : 'down';
    case 'points':
      return Math.abs(delta.points) < 0.05 ? 'flat' : delta.points > 0 ? 'up' : 'down';
    case 'unchanged-zero':
      return 'flat';
    case 'no-traffic':
      return 'none';
  }
}

/** good / bad / neutral for colouring a delta. */
export function toneOf(delta: Delta, polarity: Polarity): 'good' | 'bad' | 'neutral' {
  const t = trendOf(delta);
  if (polarity === 'neutral' || t === 'flat' || t === 'none') return 'neutral';
  return (t === 'up') === (polarity === 'up-is-good') ? 'good' : 'bad';
}

/** "▲ +12.3%", "▼ −1.5 pp", "no traffic before". */
export function formatDeltaArrow(delta: Delta): string {
  const t = trendOf(delta);
  const text = formatDelta(delta);
  return t === 'up' ? `▲ ${text}` : t === 'down' ? `▼ ${text}` : text;
}

export const KPI_POLARITY = {
  requests: 'up-is-good',
  costUsd: 'up-is-bad',
  activeUsers: 'up-is-good',
  avgLatencyMs: 'up-is-bad',
  p95LatencyMs: 'up-is-bad',
  successRate: 'up-is-good',
} as const satisfies Record<string, Polarity>;
