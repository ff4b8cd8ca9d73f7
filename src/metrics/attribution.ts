import type { ErrorCount, ModelMeasures } from './queries.js';

/**
 * Who moved the number: the change of a total split into the contribution of each provider,
 * model or error code, largest absolute impact first, so a digest can say
 * "cost +38%: runway/gen-3-alpha +$21 (80% of the increase)".
 */
export interface Contribution {
  /** "runway", "runway/gen-3-alpha", an error code; "(no error code)" or "other" for the two kinds. */
  key: string;
  /**
   * Absent for a provider, model or code. `no_error_code`: failures without an error code.
   * `other`: every segment past the top N, so the list adds up to totalChange exactly.
   */
  kind?: 'no_error_code' | 'other';
  /** For `other`: how many segments it stands for. */
  segments?: number;
  /** Change in the metric's own unit: USD for cost, percentage points for success rate. */
  change: number;
  /** Share of the total change (can exceed 1 or be negative when others move the other way). */
  shareOfChange: number | null;
}

export interface Attribution {
  totalChange: number;
  byProvider: Contribution[];
  byModel: Contribution[];
  /** Success rate only: failures per error code, in percentage points of success rate. */
  byErrorCode?: Contribution[];
}

/** The key failures without an error code are grouped under (an error code is never empty). */
const NO_CODE = '';

/** The `limit` largest contributions by size, then one `other` entry for the rest, if any. */
function rank(changes: Map<string, number>, total: number, limit: number): Contribution[] {
  const share = (change: number) => (total !== 0 ? change / total : null);
  const ranked = [...changes.entries()]
    .filter(([, change]) => change !== 0)
    .map(
      ([key, change]): Contribution => ({
        ...(key === NO_CODE ? { key: '(no error code)', kind: 'no_error_code' as const } : { key }),
        change,
        shareOfChange: share(change),
      }),
    )
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.key.localeCompare(b.key));
  const top = ranked.slice(0, limit);
  if (ranked.length <= limit) return top;
  // The rest as what is left of the total: shown and rest add up to it, to the last bit.
  const change = total - top.reduce((n, c) => n + c.change, 0);
  return [
    ...top,
    { key: 'other', kind: 'other', segments: ranked.length - limit, change, shareOfChange: share(change) },
  ];
}

function diff(
  cur: readonly ModelMeasures[],
  prev: readonly ModelMeasures[],
  key: (m: ModelMeasures) => string,
  value: (m: ModelMeasures) => number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of cur) out.set(key(m), (out.get(key(m)) ?? 0) + value(m));
  for (const m of prev) out.set(key(m), (out.get(key(m)) ?? 0) - value(m));
  return out;
}

const providerOf = (m: ModelMeasures) => m.provider;
const modelOf = (m: ModelMeasures) => `${m.provider}/${m.model}`;

/** Cost change (USD) per provider and per model; contributions add up to the total change. */
export function attributeCost(cur: readonly ModelMeasures[], prev: readonly ModelMeasures[], limit = 5): Attribution {
  const total = cur.reduce((n, m) => n + m.costUsd, 0) - prev.reduce((n, m) => n + m.costUsd, 0);
  return {
    totalChange: total,
    byProvider: rank(
      diff(cur, prev, providerOf, (m) => m.costUsd),
      total,
      limit,
    ),
    byModel: rank(
      diff(cur, prev, modelOf, (m) => m.costUsd),
      total,
      limit,
    ),
  };
}

/**
 * Success-rate change in percentage points, through failures: the rate is 1 − failures/requests,
 * so −Δ(failures_segment / requests_total), summed over segments, is exactly the change of the
 * overall rate. A provider, model or error code without failures contributes nothing, however
 * its traffic moved: the numbers name what failed. Requests without an outcome count nowhere,
 * as in the rate itself.
 */
export function attributeSuccessRate(
  cur: readonly ModelMeasures[],
  prev: readonly ModelMeasures[],
  curErrors: readonly ErrorCount[],
  prevErrors: readonly ErrorCount[],
  limit = 5,
): Attribution | null {
  const outcomes = (m: ModelMeasures) => m.requests - m.nullSuccessRows;
  const nNow = cur.reduce((n, m) => n + outcomes(m), 0);
  const nBefore = prev.reduce((n, m) => n + outcomes(m), 0);
  if (nNow === 0 || nBefore === 0) return null;
  const failurePp = (m: ModelMeasures, n: number) => (100 * (outcomes(m) - m.successes)) / n;
  const segments = (key: (m: ModelMeasures) => string) => {
    const out = new Map<string, number>();
    for (const m of cur) out.set(key(m), (out.get(key(m)) ?? 0) - failurePp(m, nNow));
    for (const m of prev) out.set(key(m), (out.get(key(m)) ?? 0) + failurePp(m, nBefore));
    return out;
  };
  const total =
    (100 * cur.reduce((n, m) => n + m.successes, 0)) / nNow -
    (100 * prev.reduce((n, m) => n + m.successes, 0)) / nBefore;
  const codes = new Map<string, number>();
  const code = (e: ErrorCount) => e.errorCode ?? NO_CODE;
  for (const e of curErrors) codes.set(code(e), (codes.get(code(e)) ?? 0) - (100 * e.failures) / nNow);
  for (const e of prevErrors) codes.set(code(e), (codes.get(code(e)) ?? 0) + (100 * e.failures) / nBefore);
  return {
    totalChange: total,
    byProvider: rank(segments(providerOf), total, limit),
    byModel: rank(segments(modelOf), total, limit),
    byErrorCode: rank(codes, total, limit),
  };
}
