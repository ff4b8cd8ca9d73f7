import { describe, expect, it } from 'vitest';
import { inlineRetryDelayMs, nextAttemptDelayMs } from '../../src/delivery/backoff.js';

const base = { baseMs: 30_000, maxMs: 3_600_000 };
const fixed = (r: number) => () => r;

describe('nextAttemptDelayMs', () => {
  it('doubles the ceiling per attempt (random at its top end)', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => nextAttemptDelayMs({ ...base, attempt, random: fixed(1) }));
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
  });

  it('never goes below the base (random at its bottom end)', () => {
    for (const attempt of [1, 2, 5, 10]) {
      expect(nextAttemptDelayMs({ ...base, attempt, random: fixed(0) })).toBe(30_000);
    }
  });

  it('is capped at maxMs, even for absurd attempt numbers', () => {
    expect(nextAttemptDelayMs({ ...base, attempt: 8, random: fixed(1) })).toBe(3_600_000);
    expect(nextAttemptDelayMs({ ...base, attempt: 5000, random: fixed(1) })).toBe(3_600_000);
    expect(nextAttemptDelayMs({ ...base, attempt: 5000, random: fixed(0.5) })).toBe(
      Math.round(30_000 + 0.5 * (3_600_000 - 30_000)),
    );
  });

  it('spreads uniformly between base and ceiling (jitter bounds)', () => {
    let seed = 7;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const samples = Array.from({ length: 2000 }, () => nextAttemptDelayMs({ ...base, attempt: 4, random: lcg }));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(30_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(240_000);
    // Jitter, not a constant: the draws cover most of the range.
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(0.9 * (240_000 - 30_000));
    expect(new Set(samples).size).toBeGreaterThan(1000);
  });

  it('honours Retry-After when it is longer than the backoff, even beyond the cap', () => {
    expect(nextAttemptDelayMs({ ...base, attempt: 1, random: fixed(0), retryAfterMs: 90_000 })).toBe(90_000);
    expect(nextAttemptDelayMs({ ...base, attempt: 1, random: fixed(0), retryAfterMs: 7_200_000 })).toBe(7_200_000);
    expect(nextAttemptDelayMs({ ...base, attempt: 1, random: fixed(0), retryAfterMs: 1500.2 })).toBe(30_000);
  });

  it('keeps the backoff when Retry-After is shorter', () => {
    expect(nextAttemptDelayMs({ ...base, attempt: 3, random: fixed(1), retryAfterMs: 1_000 })).toBe(120_000);
  });

  it('treats a first attempt of 0 or less as the first', () => {
    expect(nextAttemptDelayMs({ ...base, attempt: 0, random: fixed(1) })).toBe(30_000);
  });
});

describe('inlineRetryDelayMs (the waits within one command)', () => {
  it('1 s, 2 s, 4 s, 8 s, then 10 s each', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((retry) => inlineRetryDelayMs({ retry }))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000,
    ]);
  });

  it('waits as long as a longer Retry-After asks, and no less than the backoff for a shorter one', () => {
    expect(inlineRetryDelayMs({ retry: 1, retryAfterMs: 30_000 })).toBe(30_000);
    expect(inlineRetryDelayMs({ retry: 3, retryAfterMs: 500 })).toBe(4_000);
    expect(inlineRetryDelayMs({ retry: 1, retryAfterMs: Number.NaN })).toBe(1_000);
  });
});
