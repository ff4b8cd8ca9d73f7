import { KNOWN_SERVICE_TYPES, ROW_FLAW_KEYS, type DataQualityCounts } from './data-quality.js';
import { pointsDelta, relativeDelta, type Delta } from './deltas.js';
import { quantile } from './histogram.js';
import { outcomes, ratio, sum, type PeriodData } from './period-data.js';
import { modelKey, type ErrorCount, type ModelMeasures } from './queries.js';

/** The snapshot's per-segment sections: operations, models, top errors and data quality. Pure. */

export interface OperationsRow {
  provider: string;
  serviceType: string;
  requests: number;
  costUsd: number;
  successRate: number | null;
  avgLatencyMs: number | null;
  p95LatencyMs: number | null;
  deltas: { requests: Delta; costUsd: Delta; successRate: Delta; p95LatencyMs: Delta };
}

export interface ModelRow {
  provider: string;
  serviceType: string;
  model: string;
  requests: number;
  costUsd: number;
  costPerRequest: number | null;
  tokens: number;
  images: number;
  videoSeconds: number;
  uniqueUsers: number;
}

/** The top N models by cost; other.uniqueUsers: distinct users of the rest together, null when not counted. */
export interface ModelsSection {
  top: ModelRow[];
  other: (Omit<ModelRow, 'uniqueUsers'> & { models: number; uniqueUsers: number | null }) | null;
}

/** Rows of each odd kind in the period (data-quality.ts), and how old the data and the last refresh are. */
export type DataQuality = DataQualityCounts & {
  newestRowAgeMinutes: number | null;
  lastRefreshAgeMinutes: number | null;
};

type ModelName = { provider: string; serviceType: string; model: string };

/** Models in report order: by cost, then requests, then name. */
export function rankModels<T extends ModelName & { costUsd: number; requests: number }>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => b.costUsd - a.costUsd || b.requests - a.requests || modelKey(a).localeCompare(modelKey(b)),
  );
}

export interface TopError {
  /** null for the two kinds below. */
  errorCode: string | null;
  failures: number;
  /** Of all failures in the period. */
  share: number;
  /** `no_error_code`: failures whose row has no error code; `other`: the codes past the top 5. */
  kind?: 'no_error_code' | 'other';
  /** For `other`: how many codes. */
  codes?: number;
}

const TOP_ERRORS = 5;

/** How a top-errors entry reads: its code, "no error code", or "3 other codes". */
export function errorLabel(e: TopError): string {
  if (e.errorCode !== null) return e.errorCode;
  return e.kind === 'other' ? `${e.codes} other code${e.codes === 1 ? '' : 's'}` : 'no error code';
}

export function topErrors(errors: readonly ErrorCount[]): TopError[] {
  const failures = sum(errors, (e) => e.failures);
  const byCode = new Map<string | null, number>();
  for (const e of errors) byCode.set(e.errorCode, (byCode.get(e.errorCode) ?? 0) + e.failures);
  const codes = [...byCode.entries()]
    .filter((e): e is [string, number] => e[0] !== null)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const out: TopError[] = codes
    .slice(0, TOP_ERRORS)
    .map(([errorCode, n]) => ({ errorCode, failures: n, share: n / failures }));
  const none = byCode.get(null) ?? 0;
  if (none > 0) out.push({ errorCode: null, kind: 'no_error_code', failures: none, share: none / failures });
  const rest = codes.slice(TOP_ERRORS);
  if (rest.length > 0) {
    const n = sum(rest, (r) => r[1]);
    out.push({ errorCode: null, kind: 'other', codes: rest.length, failures: n, share: n / failures });
  }
  return out;
}

export function operations(cur: PeriodData, prev: PeriodData): OperationsRow[] {
  const group = (d: PeriodData) => {
    const out = new Map<
      string,
      {
        provider: string;
        serviceType: string;
        requests: number;
        successes: number;
        outcomes: number;
        costUsd: number;
        latencySum: number;
        latencyCount: number;
      }
    >();
    for (const m of d.byModel) {
      const key = `${m.provider}/${m.serviceType}`;
      const g = out.get(key) ?? {
        provider: m.provider,
        serviceType: m.serviceType,
        requests: 0,
        successes: 0,
        outcomes: 0,
        costUsd: 0,
        latencySum: 0,
        latencyCount: 0,
      };
      g.requests += m.requests;
      g.successes += m.successes;
      g.outcomes += outcomes(m);
      g.costUsd += m.costUsd;
      g.latencySum += m.latencySum;
      g.latencyCount += m.latencyCount;
      out.set(key, g);
    }
    return out;
  };
  const [now, before] = [group(cur), group(prev)];
  return [...now.entries()]
    .map(([key, g]): OperationsRow => {
      const p = before.get(key);
      const p95 = quantile(cur.histograms.get(`ps:${key}`) ?? { bins: [], counts: [] }, 0.95);
      const p95Before = quantile(prev.histograms.get(`ps:${key}`) ?? { bins: [], counts: [] }, 0.95);
      const rate = ratio(g.successes, g.outcomes);
      return {
        provider: g.provider,
        serviceType: g.serviceType,
        requests: g.requests,
        costUsd: g.costUsd,
        successRate: rate,
        avgLatencyMs: g.latencyCount > 0 ? g.latencySum / g.latencyCount : null,
        p95LatencyMs: p95,
        deltas: {
          requests: relativeDelta(g.requests, p?.requests || null),
          costUsd: relativeDelta(g.costUsd, p?.requests ? p.costUsd : null),
          successRate: pointsDelta(rate, p ? ratio(p.successes, p.outcomes) : null),
          p95LatencyMs: relativeDelta(p95, p95Before),
        },
      };
    })
    .sort(
      (a, b) =>
        b.costUsd - a.costUsd || a.provider.localeCompare(b.provider) || a.serviceType.localeCompare(b.serviceType),
    );
}

export function models(data: PeriodData, top: number): ModelsSection {
  const rows = rankModels(
    data.byModel.map(
      (m): ModelRow => ({
        provider: m.provider,
        serviceType: m.serviceType,
        model: m.model,
        requests: m.requests,
        costUsd: m.costUsd,
        costPerRequest: ratio(m.costUsd, m.requests),
        tokens: m.inputTokens + m.outputTokens,
        images: m.images,
        videoSeconds: m.videoSeconds,
        uniqueUsers: data.users.byModel.get(modelKey(m)) ?? 0,
      }),
    ),
  );
  const rest = rows.slice(top);
  if (rest.length === 0) return { top: rows, other: null };
  const requests = sum(rest, (r) => r.requests);
  const costUsd = sum(rest, (r) => r.costUsd);
  return {
    top: rows.slice(0, top),
    other: {
      provider: 'other',
      serviceType: 'other',
      model: 'other',
      models: rest.length,
      requests,
      costUsd,
      costPerRequest: ratio(costUsd, requests),
      tokens: sum(rest, (r) => r.tokens),
      images: sum(rest, (r) => r.images),
      videoSeconds: sum(rest, (r) => r.videoSeconds),
      uniqueUsers: data.users.pastTop ?? null,
    },
  };
}

export function dataQuality(
  byModel: readonly ModelMeasures[],
  futureRows: number,
  newestRowAgeMinutes: number | null,
  lastRefreshAgeMinutes: number | null,
): DataQuality {
  const rows = (f: (m: ModelMeasures) => boolean) => sum(byModel.filter(f), (m) => m.requests);
  const flaws = Object.fromEntries(ROW_FLAW_KEYS.map((k) => [k, sum(byModel, (m) => m[k])])) as Record<
    (typeof ROW_FLAW_KEYS)[number],
    number
  >;
  // Latency is null, unusable (one of the flaws above) or counted in latencyCount.
  const unusableLatency = flaws.negativeLatencyRows + flaws.outlierLatencyRows + flaws.nonFiniteLatencyRows;
  return {
    ...flaws,
    nullLatencyRows: sum(byModel, (m) => m.requests - m.latencyCount) - unusableLatency,
    futureRows,
    // Null or empty names are folded as 'unknown' (docs/data-quality.md).
    unknownModelRows: rows((m) => m.model === 'unknown'),
    unknownProviderRows: rows((m) => m.provider === 'unknown'),
    unknownServiceTypeRows: rows((m) => !KNOWN_SERVICE_TYPES.has(m.serviceType)),
    newestRowAgeMinutes,
    lastRefreshAgeMinutes,
  };
}
