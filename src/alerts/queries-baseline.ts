import type { Sql, TransactionSql } from '../db/connect.js';
import { addDays, localDateOf, startOfLocalDay } from '../metrics/zoned-time.js';
import type { AlertScope, AlertWindow, ChangeBaseline } from './rules.js';

/**
 * The spans an alert rule measures, and the measures of the comparison spans of `change`
 * conditions. A window ends at `now`; a baseline is the same stretch of the day on earlier days
 * of `alerts.timezone`. Long spans (baselines, `today` windows) read the 15-minute rollups (rollup
 * ∪ pending, the *_live views) for the whole buckets a fold has covered, and raw api_usage for
 * the ragged edges and whatever came after the last fold (everything, while the rollups are not
 * built).
 */

export type Db = Sql | TransactionSql;

/** From `start` to `end`, both included (a row stamped exactly `now` belongs to the window). */
export interface Span {
  start: Date;
  end: Date;
}

export interface Measures {
  requests: number;
  /** Requests whose outcome is known (success not null): the rates' denominator. */
  outcomes: number;
  successes: number;
  /** Without the costs the rollups leave out (NaN, ±Infinity; docs/data-quality.md). */
  costUsd: number;
  /** null without usable latencies (0 to 24 h). */
  p95LatencyMs: number | null;
}

export const NO_MEASURES: Readonly<Measures> = {
  requests: 0,
  outcomes: 0,
  successes: 0,
  costUsd: 0,
  p95LatencyMs: null,
};

const MINUTE = 60_000;
const BUCKET = 15 * MINUTE;

/** The window of a rule ending at `now`; null for metrics measured at an instant. */
export function windowSpan(window: AlertWindow, now: Date, timeZone: string): Span | null {
  if (window === null) return null;
  if (window === 'today') return { start: startOfLocalDay(localDateOf(now, timeZone), timeZone), end: now };
  return { start: new Date(now.getTime() - window * MINUTE), end: now };
}

/**
 * The same time since local midnight, `days` local days earlier. Time since midnight rather than
 * the wall clock: across a DST switch both spans then last equally long, so a sum such as cost
 * compares like with like.
 */
function shiftLocalDays(instant: Date, days: number, timeZone: string): Date {
  const date = localDateOf(instant, timeZone);
  const sinceMidnight = instant.getTime() - startOfLocalDay(date, timeZone).getTime();
  return new Date(startOfLocalDay(addDays(date, -days), timeZone).getTime() + sinceMidnight);
}

/** The comparison spans of a `change` condition: one for previous_day and same_weekday, four (weeks 1–4 back) for baseline_4w. */
export function baselineSpans(vs: ChangeBaseline, window: Span, timeZone: string): Span[] {
  const back = vs === 'previous_day' ? [1] : vs === 'same_weekday' ? [7] : [7, 14, 21, 28];
  return back.map((days) => ({
    start: shiftLocalDays(window.start, days, timeZone),
    end: shiftLocalDays(window.end, days, timeZone),
  }));
}

/**
 * The scope value of a raw row `a` (pulsebot.usage_rows, which reads null or empty names as
 * 'unknown', as the rollups keep them).
 */
export function rawScopeValue(sql: Db, scope: AlertScope) {
  switch (scope) {
    case 'all':
      return sql`'all'::text`;
    case 'provider':
      return sql`a.provider`;
    case 'model':
      return sql`a.model`;
    case 'service_type':
      return sql`a.service_type`;
  }
}

/** The same for a rollup row's dimensions `m` (pulsebot.usage_dims). */
function dimsScopeValue(sql: Db, scope: AlertScope) {
  switch (scope) {
    case 'all':
      return sql`'all'::text`;
    case 'provider':
      return sql`m.provider`;
    case 'model':
      return sql`m.model`;
    case 'service_type':
      return sql`m.service_type`;
  }
}

/** Where the rollups cover a span: its whole 15-minute buckets, or nothing. */
export interface SpanPlan {
  /** [midStart, midEnd) from the rollups; equal when the rollups are not used. */
  midStart: Date;
  midEnd: Date;
}

/**
 * The rollups serve a span's whole buckets up to the last fold (`foldedThrough`); the rest is read
 * raw. A row inserted after that fold but stamped earlier (a late row) is missed until the next
 * fold, minutes later: the price of not scanning days of raw rows every evaluation.
 */
export function planSpan(span: Span, foldedThrough: Date | null): SpanPlan {
  const midStart = new Date(Math.ceil(span.start.getTime() / BUCKET) * BUCKET);
  const until = foldedThrough === null ? span.start.getTime() : Math.min(span.end.getTime(), foldedThrough.getTime());
  const midEnd = new Date(Math.floor(until / BUCKET) * BUCKET);
  return midStart < midEnd ? { midStart, midEnd } : { midStart: span.start, midEnd: span.start };
}

/** When the rollups are complete up to (the last fold), or null while they need a rebuild or were never folded. */
export async function rollupsFoldedThrough(sql: Db): Promise<Date | null> {
  const [state] = await sql<{ needs_rebuild: boolean; last_fold_at: Date | null }[]>`
    select needs_rebuild, last_fold_at from pulsebot.rollup_state`;
  return state && !state.needs_rebuild ? state.last_fold_at : null;
}

/**
 * Measures of each span (in order) by scope value. The raw edges are [start, midStart) and
 * [midEnd, end]; p95 merges the rollups' latency histograms with the raw rows binned the same
 * way (pulsebot.latency_bin, which leaves out what the rollups leave out), so it is within the
 * histogram's 1% of the exact value.
 */
export async function spanMeasures(
  sql: Db,
  scope: AlertScope,
  spans: readonly Span[],
  foldedThrough: Date | null,
): Promise<Array<Map<string, Measures>>> {
  if (spans.length === 0) return [];
  const raw: { idx: number[]; lo: string[]; hi: string[]; incl: number[] } = { idx: [], lo: [], hi: [], incl: [] };
  const mid: { idx: number[]; lo: string[]; hi: string[] } = { idx: [], lo: [], hi: [] };
  // An inclusive end (1) or an exclusive one (0, the edge before the rollups' first bucket).
  spans.forEach((span, i) => {
    const plan = planSpan(span, foldedThrough);
    if (plan.midStart < plan.midEnd) {
      mid.idx.push(i);
      mid.lo.push(plan.midStart.toISOString());
      mid.hi.push(plan.midEnd.toISOString());
      if (span.start < plan.midStart) {
        raw.idx.push(i);
        raw.lo.push(span.start.toISOString());
        raw.hi.push(plan.midStart.toISOString());
        raw.incl.push(0);
      }
      raw.idx.push(i);
      raw.lo.push(plan.midEnd.toISOString());
      raw.hi.push(span.end.toISOString());
      raw.incl.push(1);
    } else {
      raw.idx.push(i);
      raw.lo.push(span.start.toISOString());
      raw.hi.push(span.end.toISOString());
      raw.incl.push(1);
    }
  });

  const rows = await sql<
    {
      idx: number;
      v: string;
      requests: number;
      outcomes: number;
      successes: number;
      cost: number;
      p95: number | null;
    }[]
  >`
    with raw_ranges as (
      select * from unnest(${raw.idx}::int[], ${raw.lo}::timestamptz[], ${raw.hi}::timestamptz[], ${raw.incl}::int[]) as r(idx, lo, hi, incl)
    ), mid_ranges as (
      select * from unnest(${mid.idx}::int[], ${mid.lo}::timestamptz[], ${mid.hi}::timestamptz[]) as r(idx, lo, hi)
    ), raw_rows as (
      -- One pass over the raw edges, grouped by latency bin as well (the histogram below).
      select r.idx, ${rawScopeValue(sql, scope)} as v, pulsebot.latency_bin(a.latency_ms) as bin,
             count(*)::bigint as requests, count(a.success)::bigint as outcomes,
             count(*) filter (where a.success)::bigint as successes,
             coalesce(sum(pulsebot.finite(a.cost_usd)), 0) as cost, count(a.latency_ms)::bigint as n
      from raw_ranges r
      cross join lateral pulsebot.usage_rows(r.lo, r.hi) a
      where r.incl = 1 or a.created_at < r.hi
      group by 1, 2, 3
    ), measures as (
      select idx, v, requests, outcomes, successes, cost from raw_rows
      union all
      select r.idx, ${dimsScopeValue(sql, scope)}, u.requests, u.requests - u.null_success_rows, u.successes, u.cost_usd
      from mid_ranges r
      join pulsebot.usage_15m_live u on u.bucket >= r.lo and u.bucket < r.hi
      join pulsebot.usage_dims m on m.id = u.dim_id
    ), bins as (
      select idx, v, bin, n from raw_rows where bin is not null and n > 0
      union all
      select r.idx, ${dimsScopeValue(sql, scope)}, l.bin, l.n
      from mid_ranges r
      join pulsebot.latency_15m_live l on l.bucket >= r.lo and l.bucket < r.hi
      join pulsebot.usage_dims m on m.id = l.dim_id
    ), hist as (
      select idx, v, bin, sum(n)::bigint as n from bins group by 1, 2, 3 having sum(n) > 0
    ), p95 as (
      select idx, v, pulsebot.hist_quantile(array_agg(bin order by bin), array_agg(n order by bin), 0.95) as p95
      from hist group by 1, 2
    ), totals as (
      select idx, v, sum(requests)::bigint as requests, sum(outcomes)::bigint as outcomes,
             sum(successes)::bigint as successes, sum(cost)::float8 as cost
      from measures group by 1, 2
    )
    select t.idx, t.v, t.requests, t.outcomes, t.successes, t.cost, p.p95
    from totals t left join p95 p on p.idx = t.idx and p.v = t.v
    where t.requests <> 0
    order by 1, 2`;

  const out = spans.map(() => new Map<string, Measures>());
  for (const r of rows) {
    out[r.idx]?.set(r.v, {
      requests: r.requests,
      outcomes: r.outcomes,
      successes: r.successes,
      costUsd: r.cost,
      p95LatencyMs: r.p95,
    });
  }
  return out;
}
