import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import { msAxis, msLogTicks, rateAxis } from './chart-axes.js';
import { noData, panelTitle, ROW } from './chart-frame.js';
import { markY, placeRows, rowText } from './chart-rows.js';
import { calls, clean, msTogether, num, pct, pctTick, provider, truncate } from './chart-values.js';
import { CHART_WIDTH, config, INK } from './theme.js';

/**
 * Success rate and p95 latency per provider × service type: two row panels, one row per pair,
 * each dot coloured by status (green meets the SLO or target, amber below it, red at the floor
 * or twice the target), the request count beside the rate (100% of 30 calls is not 100% of
 * 30,000), the success axis zoomed to where the rates are and saying so.
 */

export const MAX_ROWS = 20;

export interface ComparisonOptions {
  /** Success rate SLO and floor (config health.success_rate), as fractions. */
  slo?: number | null;
  floor?: number | null;
  /** p95 target per service type in ms (config health.latency_p95_ms). */
  targetsMs?: Readonly<Record<string, number>>;
}

type Status = 'good' | 'warn' | 'bad' | 'none';
const STATUS_SCALE = {
  domain: ['good', 'warn', 'bad', 'none'],
  range: [INK.good, INK.warn, INK.bad, INK.series],
};

function rateStatus(rate: number | null, slo: number | null, floor: number | null): Status {
  if (rate === null || slo === null) return 'none';
  if (rate >= slo) return 'good';
  return floor !== null && rate <= floor ? 'bad' : 'warn';
}

/** The health score's latency rule: at or under the target is good, twice the target scores 0. */
function latencyStatus(p95: number | null, target: number | null): Status {
  if (p95 === null || target === null) return 'none';
  if (p95 <= target) return 'good';
  return p95 >= 2 * target ? 'bad' : 'warn';
}

/** "1.7 min · target 4.0 min": a p95 and its target in one unit. */
function p95Text(p95: number | null, target: number | null): string {
  const f = msTogether([p95, target]);
  return `${p95 === null ? 'n/a' : f(p95)}${target !== null && target > 0 ? ` · target ${f(target)}` : ''}`;
}

/** The end ticks' labels stay inside the picture: the first starts, the last ends, at its tick. */
function edgeLabels(ticks: readonly number[]) {
  const at = (v: number | undefined) => `datum.value == ${JSON.stringify(v)}`;
  return {
    values: [...ticks],
    labelAlign: {
      condition: [
        { test: at(ticks[0]), value: 'left' as const },
        { test: at(ticks[ticks.length - 1]), value: 'right' as const },
      ],
      value: 'center' as const,
    },
  };
}

/** A log axis with at least three round ticks, widened until it has them. */
function logAxis(lo: number, hi: number) {
  let [a, b] = [lo, hi];
  for (let i = 0; i < 8 && msLogTicks(a, b).length < 3; i++) [a, b] = [a / 1.6, b * 1.6];
  return { domain: [a, b] as [number, number], ticks: msLogTicks(a, b) };
}

export function providerComparison(
  snapshot: Pick<Snapshot, 'operations' | 'period'>,
  opts: ComparisonOptions = {},
): TopLevelSpec {
  const what = 'Providers compared';
  const slo = num(opts.slo);
  const floor = num(opts.floor);
  const rows = snapshot.operations
    .filter((o) => num(o.requests) !== null && o.requests > 0)
    .slice(0, MAX_ROWS)
    .map((o, row) => {
      const rate = num(o.successRate);
      const p95 = num(o.p95LatencyMs);
      const serviceType = clean(o.serviceType) || '?';
      const target = num(opts.targetsMs?.[serviceType]);
      const successRate = rate === null ? null : Math.min(1, Math.max(0, rate));
      const p95LatencyMs = p95 !== null && p95 > 0 ? p95 : null;
      return {
        row,
        label: `${truncate(provider(o.provider), 16)} · ${truncate(serviceType, 10)}`,
        successRate,
        rateStatus: rateStatus(successRate, slo, floor),
        rateText: `${successRate === null ? 'n/a' : pct(successRate)} of ${calls(o.requests)}`,
        p95LatencyMs,
        target: target !== null && target > 0 ? target : null,
        p95Status: latencyStatus(p95LatencyMs, target),
        p95Text: p95Text(p95LatencyMs, target),
      };
    });
  const title = `${what} · ${snapshot.period.label}`;
  if (rows.length === 0) return noData(title);
  const values = placeRows(rows);
  const n = values.length;
  const y = markY(n);
  const width = CHART_WIDTH - 2 * Number(config.padding);
  const height = n * ROW;

  const rateAx = rateAxis(
    values.map((v) => v.successRate).filter((r): r is number => r !== null),
    slo,
  );
  const rateX = {
    field: 'successRate',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: rateAx.domain, nice: false, zero: false, padding: 10 },
    axis: { ...edgeLabels(rateAx.values), labelExpr: rateAx.labelExpr, grid: false, domain: false },
  };
  const latencies = values.flatMap((v) => [v.p95LatencyMs, v.target]).filter((x): x is number => x !== null);
  const log = latencies.length
    ? logAxis(Math.min(...latencies) / 1.4, Math.max(...latencies) * 1.4)
    : logAxis(1000, 60_000);
  const p95X = {
    field: 'p95LatencyMs',
    type: 'quantitative' as const,
    title: null,
    scale: { type: 'log' as const, domain: log.domain, nice: false, padding: 10 },
    axis: { ...msAxis(log.ticks), ...edgeLabels(log.ticks), grid: false, domain: false },
  };
  const dot = (x: object, status: string) => ({
    mark: { type: 'point' as const, filled: true, size: 170, opacity: 1 },
    encoding: {
      x,
      y: y.middle,
      color: { field: status, type: 'nominal' as const, scale: STATUS_SCALE, legend: null },
    },
  });
  // Axes come from the dot layer: the other layers name only field, type and scale, because
  // vega-lite merges the layers' axes (one `axis: null` would remove it).
  const bare = (x: { field: string; type: 'quantitative'; scale: object }) => ({
    field: x.field,
    type: x.type,
    scale: x.scale,
  });
  /** A short upright line across each row's track: the SLO (one value) or each row's target. */
  const limitTick = (x: { field: string; type: 'quantitative'; scale: object }, value: number | null) => ({
    mark: { type: 'tick' as const, color: INK.series, thickness: 3, size: 0.4 * ROW },
    encoding: { x: value === null ? bare(x) : { datum: value, type: 'quantitative' as const }, y: y.middle },
  });
  // A rule with only a y spans the panel: the row's track, so a dot is read along its own row.
  const track = {
    mark: { type: 'rule' as const, color: INK.grid, strokeWidth: 2, clip: true },
    encoding: { y: y.middle },
  };

  const sloNote = slo === null ? '' : ` · | SLO ${pctTick(slo)}`;
  const successPanel = {
    width,
    height,
    title: panelTitle(`Success rate · ${rateAx.note}${sloNote}`),
    layer: [
      track,
      ...(slo !== null ? [limitTick(rateX, slo)] : []),
      dot(rateX, 'rateStatus'),
      ...rowText(n, 'label', 'rateText'),
    ],
  };
  const latencyPanel = {
    width,
    height,
    title: panelTitle('p95 latency · log axis · | target'),
    layer: [
      track,
      {
        transform: [{ filter: 'datum.target != null' }],
        ...limitTick({ ...p95X, field: 'target' }, null),
      },
      {
        transform: [{ filter: 'datum.p95LatencyMs != null' }],
        ...dot(p95X, 'p95Status'),
      },
      ...rowText(n, 'label', 'p95Text'),
    ],
  };
  return {
    config,
    title: {
      text: title,
      subtitle:
        slo === null
          ? 'Each dot is one provider and service type'
          : 'Green meets the SLO or target, amber misses it, red is far off',
    },
    data: { values },
    spacing: 24,
    vconcat: [successPanel, latencyPanel],
  } as TopLevelSpec;
}
