import { deltaDirection, type DeltaDirection } from '../messages/format-delta.js';
import type { Delta } from '../metrics/deltas.js';

// Whether a KPI's change is good news; how it is written is messages/format-delta.ts.

/** Whether "up" is good news for a KPI: more requests yes, more cost or latency no. */
export type Polarity = 'up-is-good' | 'up-is-bad' | 'neutral';

export type Trend = DeltaDirection;

/** Up, down, flat (it reads "no change") or none (a side without traffic), as the message writes it. */
export const trendOf = (delta: Delta): Trend => deltaDirection(delta);

/** good / bad / neutral for colouring a delta. */
export function toneOf(delta: Delta, polarity: Polarity): 'good' | 'bad' | 'neutral' {
  const t = trendOf(delta);
  if (polarity === 'neutral' || t === 'flat' || t === 'none') return 'neutral';
  return (t === 'up') === (polarity === 'up-is-good') ? 'good' : 'bad';
}

export const KPI_POLARITY = {
  requests: 'up-is-good',
  costUsd: 'up-is-bad',
  activeUsers: 'up-is-good',
  avgLatencyMs: 'up-is-bad',
  p95LatencyMs: 'up-is-bad',
  successRate: 'up-is-good',
} as const satisfies Record<string, Polarity>;
