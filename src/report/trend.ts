import { formatDelta, type Delta } from '../metrics/deltas.js';

// How a KPI's change reads in a digest: its direction, its arrow, and whether it is good news.

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
