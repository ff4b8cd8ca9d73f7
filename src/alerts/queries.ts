import type { Contributor, Observation } from './evaluate.js';
import {
  NO_MEASURES,
  baselineSpans,
  rawScopeValue,
  rollupsFoldedThrough,
  spanMeasures,
  windowSpan,
  type Db,
  type Measures,
  type Span,
} from './queries-baseline.js';
import { parseScopeKey, scopeKey, type AlertMetric, type AlertScope, type NamedAlertRule } from './rules.js';

/**
 * What one rule observes at `now`, scope by scope: the observations evaluate.ts judges. Windows
 * of minutes read raw api_usage by created_at (indexed), through the owner's readers
 * (pulsebot.usage_rows and kin), which see every row: freshness matters more than speed here.
 * `today` windows and baselines read the rollups where they can (queries-baseline.ts).
 */

const MINUTE = 60_000;
/** A provider or model silent for longer than this is no longer observed by the dead-man switch (its open alert follows no_data). */
const NEWEST_ROW_LOOKBACK_DAYS = 7;
/** Refresh log rows this recent say which views the refresh currently handles. */
const REFRESH_LOOKBACK_HOURS = 24;
const TOP = 5;

function metricValue(metric: AlertMetric, m: Measures): number | null {
  switch (metric) {
    // Over the requests whose outcome is known (docs/data-quality.md).
    case 'success_rate':
      return m.outcomes > 0 ? m.successes / m.outcomes : null;
    case 'error_rate':
      return m.outcomes > 0 ? (m.outcomes - m.successes) / m.outcomes : null;
    case 'cost_usd':
      return m.costUsd;
    case 'requests':
      return m.requests;
    case 'p95_latency_ms':
      return m.p95LatencyMs;
    default:
      throw new RangeError(`${metric} is not measured from requests`);
  }
}

/** A metric measured from api_usage requests (as opposed to pulsebot's own state). */
function isRequestMetric(metric: AlertMetric): boolean {
  return ['success_rate', 'error_rate', 'cost_usd', 'requests', 'p95_latency_ms'].includes(metric);
}

/**
 * Requests, successes, cost and exact p95 over [start, end] by scope value, from raw rows; the
 * values the rollups leave out (NaN or infinite costs, latencies below 0, over 24 h or not finite)
 * are left out here too.
 */
async function windowMeasures(sql: Db, scope: AlertScope, span: Span): Promise<Map<string, Measures>> {
  const rows = await sql<
    { v: string; requests: number; outcomes: number; successes: number; cost: number; p95: number | null }[]
  >`
    select ${rawScopeValue(sql, scope)} as v, count(*)::bigint as requests, count(a.success)::bigint as outcomes,
           count(*) filter (where a.success)::bigint as successes,
           coalesce(sum(pulsebot.finite(a.cost_usd)), 0)::float8 as cost,
           percentile_cont(0.95) within group (order by pulsebot.usable_latency(a.latency_ms)) as p95
    from pulsebot.usage_rows(${span.start}, ${span.end}) a
    group by 1`;
  return new Map(
    rows.map((r) => [
      r.v,
      { requests: r.requests, outcomes: r.outcomes, successes: r.successes, costUsd: r.cost, p95LatencyMs: r.p95 },
    ]),
  );
}

/**
 * The baseline a `change` condition compares with, per scope value: the single earlier span's
 * value, or for baseline_4w the mean over the weeks that had traffic (none: no baseline).
 */
function baselineValue(metric: AlertMetric, weeks: ReadonlyArray<Measures | undefined>): number | null {
  const values = weeks
    .filter((m): m is Measures => m !== undefined && m.requests > 0)
    .map((m) => metricValue(metric, m))
    .filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Minutes since the newest row at or before now, by scope value (a row from the future does not make data fresh). */
export async function minutesSinceNewestRow(sql: Db, scope: AlertScope, now: Date): Promise<Map<string, number>> {
  const rows =
    scope === 'all'
      ? await sql<{ v: string; newest: Date | null }[]>`select 'all' as v, pulsebot.usage_newest(${now}) as newest`
      : await sql<{ v: string; newest: Date | null }[]>`
        select value as v, newest
        from pulsebot.usage_newest_by(${scope}, ${now}, ${new Date(now.getTime() - NEWEST_ROW_LOOKBACK_DAYS * 86_400_000)})`;
  const out = new Map<string, number>();
  for (const r of rows) if (r.newest) out.set(r.v, Math.max(0, now.getTime() - r.newest.getTime()) / MINUTE);
  return out;
}

/**
 * Minutes since the refresh last worked: since the last successful fold of the rollups, or,
 * when a view's latest refresh failed, since that view last refreshed (since its first logged
 * attempt, if it never did), whichever is older. A failing refresh thus ages without moving
 * anything. null when nothing was ever refreshed.
 */
export async function refreshAgeMinutes(sql: Db, now: Date): Promise<number | null> {
  const [r] = await sql<{ since: Date | null }[]>`
    with recent as (
      select view_name, outcome, finished_at
      from pulsebot.refresh_log
      where finished_at <= ${now} and finished_at > ${new Date(now.getTime() - REFRESH_LOOKBACK_HOURS * 3_600_000)}
    ), latest as (
      select distinct on (view_name) view_name, outcome from recent order by view_name, finished_at desc
    ), failing as (
      select coalesce(
               (select max(l.finished_at) from pulsebot.refresh_log l
                where l.view_name = f.view_name and l.outcome = 'ok' and l.finished_at <= ${now}),
               (select min(r.finished_at) from recent r where r.view_name = f.view_name)) as since
      from latest f where f.outcome = 'failed'
    )
    select least(
      (select max(finished_at) from pulsebot.refresh_log where view_name = 'rollups' and outcome = 'ok' and finished_at <= ${now}),
      (select min(since) from failing)) as since`;
  return r?.since ? Math.max(0, now.getTime() - r.since.getTime()) / MINUTE : null;
}

/** Outbox messages given up on within the window, plus those whose latest attempt failed and that wait for a retry. */
export async function deliveryFailures(sql: Db, span: Span): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::bigint as n from pulsebot.outbox
    where (state = 'dead' and dead_at >= ${span.start} and dead_at <= ${span.end})
       or (state = 'pending' and attempts > 0)`;
  return r?.n ?? 0;
}

/**
 * The observations of one rule at `now`, keyed by scope key. Request metrics observe every
 * scope value with traffic in the window (and, for `change` conditions, in the baseline spans,
 * so a provider that went quiet is compared with what it did before); scope `all` is always
 * observed.
 */
export async function observeRule(
  sql: Db,
  rule: NamedAlertRule,
  now: Date,
  timeZone: string,
): Promise<Map<string, Observation>> {
  const out = new Map<string, Observation>();
  const key = (v: string) => scopeKey(rule.scope, v);
  switch (rule.metric) {
    case 'minutes_since_newest_row': {
      for (const [v, minutes] of await minutesSinceNewestRow(sql, rule.scope, now))
        out.set(key(v), { value: minutes, requests: 0 });
      return out;
    }
    case 'refresh_age_minutes': {
      out.set('all', { value: await refreshAgeMinutes(sql, now), requests: 0 });
      return out;
    }
    case 'delivery_failures': {
      out.set('all', {
        value: await deliveryFailures(sql, windowSpan(rule.window_minutes, now, timeZone)!),
        requests: 0,
      });
      return out;
    }
    default:
      break;
  }

  const span = windowSpan(rule.window_minutes, now, timeZone)!;
  const condition = rule.condition;
  const long = rule.window_minutes === 'today';
  const folded = long || condition.type === 'change' ? await rollupsFoldedThrough(sql) : null;
  // Minutes-long windows read raw rows, exact to the last row; a day so far reads the rollups up to the last fold.
  const current = long
    ? (await spanMeasures(sql, rule.scope, [span], folded))[0]!
    : await windowMeasures(sql, rule.scope, span);
  const baselines =
    condition.type === 'change'
      ? await spanMeasures(sql, rule.scope, baselineSpans(condition.vs, span, timeZone), folded)
      : [];
  const values = new Set([...current.keys(), ...baselines.flatMap((b) => [...b.keys()])]);
  if (rule.scope === 'all') values.add('all');
  for (const v of values) {
    const m = current.get(v) ?? NO_MEASURES;
    out.set(key(v), {
      value: metricValue(rule.metric, m),
      requests: m.requests,
      ...(condition.type === 'change'
        ? {
            baseline: baselineValue(
              rule.metric,
              baselines.map((b) => b.get(v)),
            ),
          }
        : {}),
    });
  }
  return out;
}

/** The rows of one scope key in a window (the whole table for `all`). */
function scopeFilter(sql: Db, key: string) {
  const { scope, value } = parseScopeKey(key);
  return scope === 'all' ? sql`true` : sql`${rawScopeValue(sql, scope)} = ${value}`;
}

/**
 * What made an alert's value what it is, for its message: error codes and models by failures
 * (rates), models by cost, by p95 or by requests. A model-scoped alert does not list itself.
 */
export async function topContributors(
  sql: Db,
  rule: NamedAlertRule,
  key: string,
  now: Date,
  timeZone: string,
): Promise<Contributor[]> {
  if (!isRequestMetric(rule.metric)) return [];
  const span = windowSpan(rule.window_minutes, now, timeZone)!;
  const rows = sql`pulsebot.usage_rows(${span.start}, ${span.end}) a`;
  const where = scopeFilter(sql, key);
  const byModel = parseScopeKey(key).scope !== 'model';
  const out: Contributor[] = [];

  if (rule.metric === 'success_rate' || rule.metric === 'error_rate') {
    const codes = await sql<{ name: string; n: number }[]>`
      select coalesce(nullif(a.error_code, ''), '(no error code)') as name, count(*)::bigint as n
      from ${rows} where ${where} and not a.success
      group by 1 order by 2 desc, 1 limit ${TOP}`;
    out.push(...codes.map((r) => ({ kind: 'error_code' as const, name: r.name, count: r.n })));
    if (byModel) {
      const models = await sql<{ name: string; n: number }[]>`
        select a.model as name, count(*)::bigint as n
        from ${rows} where ${where} and not a.success
        group by 1 order by 2 desc, 1 limit ${TOP}`;
      out.push(...models.map((r) => ({ kind: 'model' as const, name: r.name, count: r.n })));
    }
    return out;
  }
  if (!byModel) return out;
  const measure =
    rule.metric === 'cost_usd'
      ? sql`coalesce(sum(pulsebot.finite(a.cost_usd)), 0)::float8`
      : rule.metric === 'p95_latency_ms'
        ? sql`percentile_cont(0.95) within group (order by pulsebot.usable_latency(a.latency_ms))`
        : sql`count(*)::float8`;
  const models = await sql<{ name: string; n: number | null }[]>`
    select a.model as name, ${measure} as n
    from ${rows} where ${where}
    group by 1 order by 2 desc nulls last, 1 limit ${TOP}`;
  for (const r of models) if (r.n !== null && r.n > 0) out.push({ kind: 'model', name: r.name, count: r.n });
  return out;
}

/**
 * The rule's metric over each of `spans` for one scope key (the sparkline): the same measure the
 * rule evaluates, at earlier moments. null where a point has no value; [] for metrics of
 * pulsebot itself.
 */
export async function metricSeries(
  sql: Db,
  rule: NamedAlertRule,
  key: string,
  spans: readonly Span[],
): Promise<Array<{ at: Date; value: number | null }>> {
  if (spans.length === 0) return [];
  const idx = spans.map((_, i) => i);
  const lo = spans.map((s) => s.start.toISOString());
  const hi = spans.map((s) => s.end.toISOString());
  if (rule.metric === 'minutes_since_newest_row') {
    const { scope, value } = parseScopeKey(key);
    const rows = await sql<{ i: number; newest: Date | null }[]>`
      select p.i, pulsebot.usage_newest(p.hi, ${scope}, ${value ?? null}) as newest
      from unnest(${idx}::int[], ${hi}::timestamptz[]) as p(i, hi)
      order by 1`;
    return rows.map((r) => {
      const at = spans[r.i]!.end;
      return { at, value: r.newest ? Math.max(0, at.getTime() - r.newest.getTime()) / MINUTE : null };
    });
  }
  if (!isRequestMetric(rule.metric)) return [];
  if (rule.window_minutes === 'today') {
    // Each point is a day so far: whole buckets from the rollups, not a day of raw rows per point.
    const { scope, value } = parseScopeKey(key);
    const measures = await spanMeasures(sql, scope, spans, await rollupsFoldedThrough(sql));
    return measures.map((m, i) => ({
      at: spans[i]!.end,
      value: metricValue(rule.metric, m.get(value ?? 'all') ?? NO_MEASURES),
    }));
  }
  const rows = await sql<
    { i: number; requests: number; outcomes: number; successes: number; cost: number; p95: number | null }[]
  >`
    select p.i, count(a.created_at)::bigint as requests, count(a.success)::bigint as outcomes,
           count(*) filter (where a.success)::bigint as successes,
           coalesce(sum(pulsebot.finite(a.cost_usd)), 0)::float8 as cost,
           percentile_cont(0.95) within group (order by pulsebot.usable_latency(a.latency_ms)) as p95
    from unnest(${idx}::int[], ${lo}::timestamptz[], ${hi}::timestamptz[]) as p(i, lo, hi)
    left join lateral (
      select * from pulsebot.usage_rows(p.lo, p.hi) a where ${scopeFilter(sql, key)}
    ) a on true
    group by p.i
    order by p.i`;
  return rows.map((r) => ({
    at: spans[r.i]!.end,
    value: metricValue(rule.metric, {
      requests: r.requests,
      outcomes: r.outcomes,
      successes: r.successes,
      costUsd: r.cost,
      p95LatencyMs: r.p95,
    }),
  }));
}
