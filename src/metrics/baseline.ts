import type { PeriodKind } from './period.js';

/**
 * What a period's cost (and traffic) is expected to be, from history, with the rule that made it
 * stated in the snapshot so a reader can redo it. Day reports compare with the same weekday of
 * the last 4 weeks, because weekly seasonality dominates AI traffic; weeks and months have no
 * such cycle within reach, so they compare with the period before.
 */
export type BaselineRule = 'same_weekday_mean' | 'previous_period';

export interface BaselinePeriod {
  label: string;
  costUsd: number;
  requests: number;
  /** Whether it went into the baseline (a period without traffic is left out). */
  used: boolean;
}

export interface CostBaseline {
  rule: BaselineRule;
  /** The candidate periods, most recent first. */
  periods: BaselinePeriod[];
  /** The expected cost and requests, or null when too few periods had traffic. */
  expectedUsd: number | null;
  expectedRequests: number | null;
  /** The rule and its outcome in words, for the README-less reader of the JSON. */
  description: string;
}

/** Same-weekday periods with traffic needed for a day baseline: one week alone is an anecdote. */
const MIN_BASELINE_WEEKS = 2;

type History = { label: string; costUsd: number; requests: number };

export function costBaseline(kind: PeriodKind, previous: History, sameWeekdays: readonly History[]): CostBaseline {
  if (kind !== 'day') {
    const used = previous.requests > 0;
    return {
      rule: 'previous_period',
      periods: [{ ...previous, used }],
      expectedUsd: used ? previous.costUsd : null,
      expectedRequests: used ? previous.requests : null,
      description: used
        ? `the previous ${kind} (${previous.label})`
        : `none: the previous ${kind} (${previous.label}) had no traffic`,
    };
  }
  const periods = sameWeekdays.map((p) => ({ ...p, used: p.requests > 0 }));
  const used = periods.filter((p) => p.used);
  const n = sameWeekdays.length;
  if (used.length < MIN_BASELINE_WEEKS) {
    return {
      rule: 'same_weekday_mean',
      periods,
      expectedUsd: null,
      expectedRequests: null,
      description: `none: ${used.length} of the last ${n} same weekdays had traffic, ${MIN_BASELINE_WEEKS} are needed`,
    };
  }
  const mean = (f: (p: BaselinePeriod) => number) => used.reduce((s, p) => s + f(p), 0) / used.length;
  return {
    rule: 'same_weekday_mean',
    periods,
    expectedUsd: mean((p) => p.costUsd),
    expectedRequests: mean((p) => p.requests),
    description:
      used.length === n
        ? `mean of the last ${n} same weekdays`
        : `mean of the ${used.length} of the last ${n} same weekdays that had traffic`,
  };
}
