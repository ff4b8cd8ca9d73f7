/**
 * Rows that are not what the api_usage contract promises, by kind (docs/data-quality.md). The
 * rollups count each kind and keep its values out of the figures; the digest, `pulsebot snapshot`
 * and `doctor` name every kind with the words below, so all three say the same thing.
 */

/** The service types of the api_usage contract; rows of any other are counted. */
export const KNOWN_SERVICE_TYPES: ReadonlySet<string> = new Set(['content', 'images', 'video']);

/** The kinds the rollups count per 15 minutes and per day (pulsebot.usage_15m, usage_daily). */
export interface RowFlaws {
  negativeCostRows: number;
  nullCostRows: number;
  nonFiniteCostRows: number;
  nullSuccessRows: number;
  nonFiniteVideoRows: number;
  negativeLatencyRows: number;
  outlierLatencyRows: number;
  nonFiniteLatencyRows: number;
}

export const ROW_FLAW_KEYS: ReadonlyArray<keyof RowFlaws> = [
  'negativeCostRows',
  'nullCostRows',
  'nonFiniteCostRows',
  'nullSuccessRows',
  'nonFiniteVideoRows',
  'negativeLatencyRows',
  'outlierLatencyRows',
  'nonFiniteLatencyRows',
];

export const NO_ROW_FLAWS: Readonly<RowFlaws> = Object.freeze(
  Object.fromEntries(ROW_FLAW_KEYS.map((k) => [k, 0])) as unknown as RowFlaws,
);

/** Every kind a report counts: the rollups' flaws, names that read as 'unknown', missing latency, rows from the future. */
export interface DataQualityCounts extends RowFlaws {
  nullLatencyRows: number;
  futureRows: number;
  unknownModelRows: number;
  unknownProviderRows: number;
  unknownServiceTypeRows: number;
}

export type DataQualityKind = keyof DataQualityCounts;

/**
 * What a row of each kind is, after "N rows", and what pulsebot does with it; in the order reports
 * list them. "Over 24 h" is pulsebot.usable_latency()'s bound (sql/functions/usable_latency.sql).
 */
const DATA_QUALITY_KINDS: ReadonlyArray<{ key: DataQualityKind; what: string }> = [
  { key: 'nonFiniteCostRows', what: 'with a NaN or infinite cost (counted as $0)' },
  { key: 'negativeCostRows', what: 'with a negative cost' },
  { key: 'nullCostRows', what: 'without a cost (counted as $0)' },
  { key: 'nullSuccessRows', what: 'without an outcome (left out of the success rate)' },
  { key: 'unknownModelRows', what: 'without a model (counted as "unknown")' },
  { key: 'unknownProviderRows', what: 'without a provider (counted as "unknown")' },
  { key: 'unknownServiceTypeRows', what: 'with an unknown service type' },
  { key: 'nullLatencyRows', what: 'without latency' },
  { key: 'negativeLatencyRows', what: 'with a negative latency (left out of latency figures)' },
  { key: 'outlierLatencyRows', what: 'with a latency over 24 h (left out of latency figures)' },
  { key: 'nonFiniteLatencyRows', what: 'with a NaN or infinite latency (left out of latency figures)' },
  { key: 'nonFiniteVideoRows', what: 'with NaN or infinite video seconds (counted as 0)' },
  { key: 'futureRows', what: 'dated in the future' },
];

/** The kinds with rows, each as "3 rows with a negative cost" (counts formatted by `count`). */
export function dataQualityProblems(
  q: Readonly<Partial<DataQualityCounts>>,
  count: (n: number) => string = String,
): Array<{ key: DataQualityKind; rows: number; text: string }> {
  return DATA_QUALITY_KINDS.flatMap(({ key, what }) => {
    const rows = q[key] ?? 0;
    return rows > 0 ? [{ key, rows, text: `${count(rows)} ${rows === 1 ? 'row' : 'rows'} ${what}` }] : [];
  });
}
