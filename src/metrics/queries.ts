import type { Sql } from '../db/connect.js';
import type { RowFlaws } from './data-quality.js';

/**
 * The small query modules the snapshot is computed from. Every range is [start, end) on
 * 15-minute boundaries (local midnight of every real time zone is one), read from the rollups
 * (at the 15-minute grain the *_live views: rollups plus the deltas not yet compacted into them,
 * so every measure is summed over its keys); only exact distinct users outside the dashboard's
 * day grain fall back to raw api_usage.
 */
export interface TimeRange {
  start: Date;
  end: Date;
}

/** A period's sums; the flaws count rows whose odd values the sums left out (data-quality.ts). */
export interface Measures extends RowFlaws {
  requests: number;
  /** Requests that succeeded; requests without an outcome (nullSuccessRows) are neither successes nor failures. */
  successes: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  videoSeconds: number;
  latencySum: number;
  /** Requests with a usable latency (0 to 24 h), which latencySum adds up. */
  latencyCount: number;
}

export interface ModelMeasures extends Measures {
  provider: string;
  serviceType: string;
  model: string;
}

/**
 * Whole local days in the time zone the daily rollups are kept in; null when the period is in
 * another zone (then the 15-minute rollups serve it, which line up with any zone's days).
 */
export type DayRange = { first: string; last: string; usersKept: boolean } | null;

export async function rollupDays(sql: Sql, timeZone: string, first: string, last: string): Promise<DayRange> {
  const [state] = await sql<{ timezone: string | null; keep_from: string | null }[]>`
    select timezone, pruned_before::text as keep_from from pulsebot.rollup_state`;
  if (state?.timezone !== timeZone) return null;
  // The counted user sets reach back 100 days; older ranges count raw rows instead.
  return { first, last, usersKept: state.keep_from === null || state.keep_from <= first };
}

export async function measuresByModel(sql: Sql, range: TimeRange, days: DayRange = null): Promise<ModelMeasures[]> {
  // Same measures in both grains; only the table and the range condition differ.
  const source = days
    ? sql`pulsebot.usage_daily u join pulsebot.usage_dims m on m.id = u.dim_id
          where u.day between ${days.first}::date and ${days.last}::date`
    : sql`pulsebot.usage_15m_live u join pulsebot.usage_dims m on m.id = u.dim_id
          where u.bucket >= ${range.start} and u.bucket < ${range.end}`;
  return sql<ModelMeasures[]>`
    select m.provider, m.service_type as "serviceType", m.model,
           sum(u.requests)::bigint as requests, sum(u.successes)::bigint as successes, sum(u.cost_usd) as "costUsd",
           sum(u.input_tokens)::bigint as "inputTokens", sum(u.output_tokens)::bigint as "outputTokens",
           sum(u.images)::bigint as images, sum(u.video_seconds) as "videoSeconds",
           sum(u.latency_sum) as "latencySum", sum(u.latency_count)::bigint as "latencyCount",
           sum(u.negative_cost_rows)::bigint as "negativeCostRows", sum(u.null_cost_rows)::bigint as "nullCostRows",
           sum(u.nonfinite_cost_rows)::bigint as "nonFiniteCostRows", sum(u.null_success_rows)::bigint as "nullSuccessRows",
           sum(u.nonfinite_video_rows)::bigint as "nonFiniteVideoRows",
           sum(u.negative_latency_rows)::bigint as "negativeLatencyRows",
           sum(u.outlier_latency_rows)::bigint as "outlierLatencyRows",
           sum(u.nonfinite_latency_rows)::bigint as "nonFiniteLatencyRows"
    from ${source}
    group by 1, 2, 3
    having sum(u.requests) <> 0
    order by 1, 2, 3`;
}

export interface Histogram {
  /** Log-spaced bins (see pulsebot.latency_bin) ascending, with their counts. */
  bins: number[];
  counts: number[];
}

/**
 * Latency histograms of the range keyed "*" (everything), "service:<type>" and
 * "ps:<provider>/<type>", in one pass over the 15-minute histograms.
 */
export async function latencyHistograms(
  sql: Sql,
  range: TimeRange,
  days: DayRange = null,
): Promise<Map<string, Histogram>> {
  const rows = days
    ? await sql<{ key: string; bin: number; n: number }[]>`
        select case when grouping(ps.service_type) = 1 then '*'
                    when grouping(ps.provider) = 1 then 'service:' || ps.service_type
                    else 'ps:' || ps.provider || '/' || ps.service_type end as key,
               l.bin, sum(l.n)::bigint as n
        from pulsebot.latency_daily_live l join pulsebot.provider_services ps on ps.id = l.ps_id
        where l.day between ${days.first}::date and ${days.last}::date
        group by grouping sets ((ps.provider, ps.service_type, l.bin), (ps.service_type, l.bin), (l.bin))
        having sum(l.n) > 0
        order by 1, 2`
    : await sql<{ key: string; bin: number; n: number }[]>`
    select case when grouping(m.service_type) = 1 then '*'
                when grouping(m.provider) = 1 then 'service:' || m.service_type
                else 'ps:' || m.provider || '/' || m.service_type end as key,
           l.bin, sum(l.n)::bigint as n
    from pulsebot.latency_15m_live l join pulsebot.usage_dims m on m.id = l.dim_id
    where l.bucket >= ${range.start} and l.bucket < ${range.end}
    group by grouping sets ((m.provider, m.service_type, l.bin), (m.service_type, l.bin), (l.bin))
    having sum(l.n) > 0
    order by 1, 2`;
  const out = new Map<string, Histogram>();
  for (const r of rows) {
    const h = out.get(r.key) ?? { bins: [], counts: [] };
    h.bins.push(r.bin);
    h.counts.push(r.n);
    out.set(r.key, h);
  }
  return out;
}

export interface ErrorCount {
  provider: string;
  serviceType: string;
  model: string;
  /** null: failures without an error code (filed under '' in errors_15m), a category of their own. */
  errorCode: string | null;
  failures: number;
}

export async function errorsByCode(sql: Sql, range: TimeRange): Promise<ErrorCount[]> {
  return sql<ErrorCount[]>`
    select m.provider, m.service_type as "serviceType", m.model, nullif(e.error_code, '') as "errorCode",
           sum(e.failures)::bigint as failures
    from pulsebot.errors_15m_live e join pulsebot.usage_dims m on m.id = e.dim_id
    where e.bucket >= ${range.start} and e.bucket < ${range.end}
    group by 1, 2, 3, 4
    having sum(e.failures) > 0
    order by failures desc, 1, 2, 3, 4`;
}

/**
 * Exact distinct users of the range. Whole days of the rollups' time zone OR the days' user
 * bitmaps; any other range counts raw api_usage (its created_at index bounds the scan), as the owner.
 */
export async function distinctUsers(sql: Sql, range: TimeRange, days: DayRange): Promise<number> {
  const [r] = days?.usersKept
    ? await sql<{ n: number }[]>`
        select coalesce(sum(bit_count(bits)), 0)::bigint as n from (
          select block, bit_or(bits) as bits from pulsebot.user_day_bits
          where day between ${days.first}::date and ${days.last}::date
          group by block
        ) u`
    : await sql<{ n: number }[]>`select pulsebot.usage_distinct_users(${range.start}, ${range.end}) as n`;
  return r?.n ?? 0;
}

/**
 * Exact distinct users per model. A day or less reads the raw rows of the range; longer ranges in
 * the rollups' zone read the (model, user, day) sets, which beat a month of raw rows.
 */
export async function distinctUsersByModel(sql: Sql, range: TimeRange, days: DayRange): Promise<Map<string, number>> {
  const rows =
    days?.usersKept && !isShort(range)
      ? await sql<{ key: string; n: number }[]>`
        with ${presentUserModels(sql, days)}
        select m.provider || '/' || m.service_type || '/' || m.model as key, count(distinct x.user_id)::bigint as n
        from present x join pulsebot.usage_dims m on m.id = x.dim_id
        group by 1`
      : await sql<{ key: string; n: number }[]>`
        select provider || '/' || service_type || '/' || model as key, users as n
        from pulsebot.usage_users_by_model(${range.start}, ${range.end})`;
  return new Map(rows.map((r) => [r.key, r.n]));
}

/** Exact distinct users of several models together (a report's "other" models), read as above. */
export async function distinctUsersOfModels(
  sql: Sql,
  range: TimeRange,
  days: DayRange,
  models: ReadonlyArray<{ provider: string; serviceType: string; model: string }>,
): Promise<number> {
  const providers = models.map((m) => m.provider);
  const serviceTypes = models.map((m) => m.serviceType);
  const names = models.map((m) => m.model);
  const [r] =
    days?.usersKept && !isShort(range)
      ? await sql<{ n: number }[]>`
        with ${presentUserModels(sql, days)}
        select count(distinct x.user_id)::bigint as n
        from present x join pulsebot.usage_dims m on m.id = x.dim_id
        join unnest(${providers}::text[], ${serviceTypes}::text[], ${names}::text[]) as k(provider, service_type, model)
          on k.provider = m.provider and k.service_type = m.service_type and k.model = m.model`
      : await sql<{ n: number }[]>`
        select pulsebot.usage_users_of_models(${range.start}, ${range.end}, ${providers}::text[],
                                              ${serviceTypes}::text[], ${names}::text[]) as n`;
  return r?.n ?? 0;
}

const isShort = (range: TimeRange) => range.end.getTime() - range.start.getTime() <= 25 * 3_600_000;

/** The (model, user) pairs with a call on the days: the sets plus their deltas not yet compacted. */
function presentUserModels(sql: Sql, days: NonNullable<DayRange>) {
  return sql`pending as (
      -- A key's count is its row's n plus its deltas not yet compacted (a few batches' worth).
      select day, user_id, dim_id, sum(dn) as dn from pulsebot.model_user_days_pending
      where day between ${days.first}::date and ${days.last}::date
      group by 1, 2, 3
    ), present as (
      select x.dim_id, x.user_id from pulsebot.model_user_days x
      left join pending p on p.day = x.day and p.user_id = x.user_id and p.dim_id = x.dim_id
      where x.day between ${days.first}::date and ${days.last}::date and x.n + coalesce(p.dn, 0) > 0
      union all
      select p.dim_id, p.user_id from pending p
      where p.dn > 0 and not exists (
        select 1 from pulsebot.model_user_days x where x.day = p.day and x.user_id = p.user_id and x.dim_id = p.dim_id)
    )`;
}

export const modelKey = (m: { provider: string; serviceType: string; model: string }) =>
  `${m.provider}/${m.serviceType}/${m.model}`;

export interface Freshness {
  newestRowAt: Date | null;
  lastRefreshAt: Date | null;
  futureRows: number;
}

/** What "now" looks like: newest row (not from the future), last successful fold, rows dated ahead. */
export async function freshness(sql: Sql, now: Date): Promise<Freshness> {
  const [r] = await sql<{ newest: Date | null; refreshed: Date | null; future: number }[]>`
    select pulsebot.usage_newest(${now}) as newest,
           (select max(finished_at) from pulsebot.refresh_log where view_name = 'rollups' and outcome = 'ok') as refreshed,
           pulsebot.usage_future_rows(${now}::timestamptz + interval '5 minutes') as future`;
  return { newestRowAt: r?.newest ?? null, lastRefreshAt: r?.refreshed ?? null, futureRows: r?.future ?? 0 };
}
