/**
 * Period-over-period comparisons. Relative change for amounts (cost, requests, users, latency),
 * percentage points for rates (success rate). An empty period is said to be empty: a digest must
 * never show a fake 0%, NaN% or ∞%. Messages write a delta with messages/format-delta.ts.
 */

export type Delta =
  /** (current − previous) / previous: 0.38 for +38%. */
  | { kind: 'relative'; ratio: number }
  /** (current − previous) × 100, for rates given as fractions. */
  | { kind: 'points'; points: number }
  /** No meaningful change can be computed because a side had no traffic (or, for amounts, was 0). */
  | { kind: 'no-traffic'; side: 'current' | 'previous' | 'both' }
  /** 0 then 0: nothing happened either time. */
  | { kind: 'unchanged-zero' };

/**
 * Relative change of an amount. `null` means the period had no traffic. A previous value of 0
 * has no meaningful percentage, so 0 → 5 reads "no traffic before" rather than +∞%; 0 → 0 is
 * `unchanged-zero`; 50 → 0 is an honest −100%.
 */
export function relativeDelta(current: number | null, previous: number | null): Delta {
  assertFiniteOrNull(current, 'current');
  assertFiniteOrNull(previous, 'previous');
  const empty = emptySide(current, previous);
  if (empty) return empty;
  const cur = current as number;
  const prev = previous as number;
  if (prev === 0) return cur === 0 ? { kind: 'unchanged-zero' } : { kind: 'no-traffic', side: 'previous' };
  // |prev| keeps the sign meaning "went up"/"went down" should a negative amount (a refund) appear.
  const ratio = (cur - prev) / Math.abs(prev);
  // A previous value that is all but zero (subnormal, say) overflows the ratio or its percentage;
  // like 0, it has no meaningful percentage.
  if (!Number.isFinite(ratio * 100)) return { kind: 'no-traffic', side: 'previous' };
  return { kind: 'relative', ratio: ratio + 0 };
}

/**
 * Change of a rate in percentage points: 0.97 → 0.955 is −1.5 pp. Rates are fractions in [0, 1];
 * `null` means no traffic, so the rate is undefined.
 */
export function pointsDelta(currentRate: number | null, previousRate: number | null): Delta {
  assertRateOrNull(currentRate, 'currentRate');
  assertRateOrNull(previousRate, 'previousRate');
  const empty = emptySide(currentRate, previousRate);
  if (empty) return empty;
  // `+ 0` turns -0 into 0 so callers comparing with 0 or printing the value see no "−0".
  return { kind: 'points', points: ((currentRate as number) - (previousRate as number)) * 100 + 0 };
}

function emptySide(current: number | null, previous: number | null): Delta | null {
  if (current === null && previous === null) return { kind: 'no-traffic', side: 'both' };
  if (current === null) return { kind: 'no-traffic', side: 'current' };
  if (previous === null) return { kind: 'no-traffic', side: 'previous' };
  return null;
}

// A NaN here is a bug upstream; passing it through would print "NaN%" in front of stakeholders.
function assertFiniteOrNull(value: number | null, name: string): void {
  if (value !== null && !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number or null (no traffic), got ${value}`);
  }
}

function assertRateOrNull(value: number | null, name: string): void {
  if (value !== null && !(Number.isFinite(value) && value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a fraction from 0 to 1 or null (no traffic), got ${value}`);
  }
}
