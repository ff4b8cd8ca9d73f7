import type { Sql } from '../db/connect.js';
import { formatCount } from '../messages/format.js';
import { type DataQualityCounts, KNOWN_SERVICE_TYPES, dataQualityProblems } from '../metrics/data-quality.js';
import type { CheckResult } from './check-result.js';

/** How far back doctor counts odd rows: a week, so a daily or weekly digest's problems show here too. */
const WINDOW_DAYS = 7;
const NAME = 'data quality';

/**
 * Rows of the last week that are not what the api_usage contract promises, by kind, from the
 * rollups (as of the last refresh). Such rows are counted and left out of the figures, so they
 * warn rather than fail; a non-finite sum in the rollups themselves (folded by an older pulsebot)
 * fails, because every figure over it would be NaN until the rollups are rebuilt.
 */
export async function checkDataQuality(sql: Sql, now: Date): Promise<CheckResult> {
  const [state] = await sql<{ needs_rebuild: boolean }[]>`select needs_rebuild from pulsebot.rollup_state`;
  if (!state || state.needs_rebuild)
    return {
      name: NAME,
      status: 'warn',
      detail: 'not counted: the rollups are waiting to be rebuilt',
      fix: 'run `pulsebot refresh`',
    };
  const since = new Date(now.getTime() - WINDOW_DAYS * 86_400_000);
  const [row] = await sql<(Partial<DataQualityCounts> & { requests: number; broken: boolean })[]>`
    select coalesce(sum(u.requests), 0)::bigint as requests,
           coalesce(bool_or(pg_catalog.scale(u.cost_usd) is null or pg_catalog.scale(u.video_seconds) is null
                            or u.latency_sum in ('NaN', 'Infinity', '-Infinity')), false) as broken,
           sum(u.negative_cost_rows)::bigint as "negativeCostRows", sum(u.null_cost_rows)::bigint as "nullCostRows",
           sum(u.nonfinite_cost_rows)::bigint as "nonFiniteCostRows", sum(u.null_success_rows)::bigint as "nullSuccessRows",
           sum(u.nonfinite_video_rows)::bigint as "nonFiniteVideoRows",
           sum(u.negative_latency_rows)::bigint as "negativeLatencyRows",
           sum(u.outlier_latency_rows)::bigint as "outlierLatencyRows",
           sum(u.nonfinite_latency_rows)::bigint as "nonFiniteLatencyRows",
           sum(u.requests) filter (where m.model = 'unknown')::bigint as "unknownModelRows",
           sum(u.requests) filter (where m.provider = 'unknown')::bigint as "unknownProviderRows",
           sum(u.requests) filter (where m.service_type <> all(${[...KNOWN_SERVICE_TYPES]}::text[]))::bigint as "unknownServiceTypeRows"
    from pulsebot.usage_15m_live u join pulsebot.usage_dims m on m.id = u.dim_id
    where u.bucket >= ${since} and u.bucket <= ${now}`;
  if (row?.broken)
    return {
      name: NAME,
      status: 'fail',
      detail: 'the rollups of the last 7 days hold a NaN or infinite sum: reports over them cannot be built',
      fix: 'UPDATE pulsebot.rollup_state SET needs_rebuild = true; then run `pulsebot refresh`',
    };
  const problems = dataQualityProblems(row ?? {}, formatCount);
  if (problems.length === 0)
    return {
      name: NAME,
      status: 'ok',
      detail: `no odd rows among the last ${WINDOW_DAYS} days' ${formatCount(row?.requests ?? 0)}`,
    };
  return {
    name: NAME,
    status: 'warn',
    detail: `last ${WINDOW_DAYS} days: ${problems.map((p) => p.text).join('; ')}`,
    fix: 'fix what writes these rows to api_usage; until then pulsebot counts them and keeps their values out of the figures (docs/data-quality.md)',
  };
}
