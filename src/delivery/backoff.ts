/**
 * When to try a failed message again. Exponential growth with full jitter above the base: the
 * ceiling doubles per attempt up to `maxMs`, and the delay is drawn uniformly between `baseMs`
 * and that ceiling, so many messages failing together (an SMTP server restart) do not retry in
 * lockstep, yet none retries sooner than the base. A server's own Retry-After wins when it is
 * longer, even beyond `maxMs`: retrying sooner than the server asked only earns another 429.
 */
export interface BackoffInput {
  /** The attempt that just failed, 1 for the first. */
  attempt: number;
  baseMs: number;
  maxMs: number;
  retryAfterMs?: number | undefined;
  /** Uniform in [0, 1): Math.random in production, fixed in tests. */
  random: () => number;
}

export function nextAttemptDelayMs(input: BackoffInput): number {
  const base = Math.max(0, input.baseMs);
  const max = Math.max(base, input.maxMs);
  const attempt = Math.max(1, Math.floor(input.attempt));
  // 2^(attempt-1) overflows to Infinity for absurd attempt counts; min() keeps the cap.
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  const r = Math.min(Math.max(input.random(), 0), 1);
  const backoff = Math.round(base + r * (ceiling - base));
  const retryAfter =
    input.retryAfterMs !== undefined && Number.isFinite(input.retryAfterMs)
      ? Math.max(0, Math.ceil(input.retryAfterMs))
      : 0;
  return Math.max(backoff, retryAfter);
}

/** Waits between the tries one command makes itself: short, since someone may be waiting for it. */
const INLINE_FIRST_MS = 1_000;
const INLINE_MAX_MS = 10_000;

/**
 * The wait before the `retry`-th try within one command (1 for the first retry): 1 s, 2 s, 4 s,
 * 8 s, then 10 s each; a server's Retry-After wins when it is longer.
 */
export function inlineRetryDelayMs(input: { retry: number; retryAfterMs?: number | undefined }): number {
  const retry = Math.max(1, Math.floor(input.retry));
  const backoff = Math.min(INLINE_MAX_MS, INLINE_FIRST_MS * 2 ** Math.min(retry - 1, 30));
  const retryAfter =
    input.retryAfterMs !== undefined && Number.isFinite(input.retryAfterMs)
      ? Math.max(0, Math.ceil(input.retryAfterMs))
      : 0;
  return Math.max(backoff, retryAfter);
}
