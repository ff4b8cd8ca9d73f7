// What a bench declares for each figure it measures, and the one line every bench prints for it.
// Pure: no clock, no IO.
import { type Summary, summarize } from './stats.js';

export type Unit = 'ms' | 's' | 'MB' | '%' | 'tps' | 'instructions' | 'faults';

/** Bounds, in the metric's unit (or, for a ratio, in times). */
export interface Range {
  min?: number;
  max?: number;
}

export interface Target extends Range {
  /** What the bounds apply to: the median (default) or the worst sample (e.g. alert latency). */
  of?: 'median' | 'worst';
}

/** A figure as a bench declares it. */
export interface Metric {
  /** `<bench>.<what>[_<size>]`, e.g. `refresh.incremental_10M`. */
  name: string;
  unit: Unit;
  /** Which way is good: decides the worst sample and which way round the ratio to a baseline is. */
  better: 'lower' | 'higher';
  samples: number[];
  /** From the issue that asked for the figure. */
  target?: Target;
  /** Another metric of the same run this one is compared with, and the ratio the issue asked for. */
  baseline?: { metric: string; ratioTarget?: Range };
  /** A breakdown of a headline figure: printed and recorded, left out of the results table. */
  detail?: boolean;
}

export interface Evaluated extends Summary {
  metric: Metric;
  targetMet: boolean | null;
  /** How many times better than the baseline: baseline ÷ this for lower-is-better, this ÷ baseline otherwise. */
  ratio: { baseline: string; baselineMedian: number; value: number; met: boolean | null } | null;
}

const within = (x: number, r: Range): boolean =>
  (r.min === undefined || x >= r.min) && (r.max === undefined || x <= r.max);

function worstOf(metric: Metric, s: Summary): number {
  return metric.better === 'lower' ? s.max : s.min;
}

/** Summaries, target checks and ratios of one run's metrics; a baseline must be among them. */
export function evaluate(metrics: readonly Metric[]): Evaluated[] {
  const medians = new Map(metrics.map((m) => [m.name, summarize(m.samples).median]));
  return metrics.map((metric) => {
    const s = summarize(metric.samples);
    const t = metric.target;
    const targetMet = t ? within(t.of === 'worst' ? worstOf(metric, s) : s.median, t) : null;
    let ratio: Evaluated['ratio'] = null;
    if (metric.baseline) {
      const base = medians.get(metric.baseline.metric);
      if (base === undefined)
        throw new Error(`${metric.name}: its baseline ${metric.baseline.metric} was not measured in this run`);
      const value = metric.better === 'lower' ? base / s.median : s.median / base;
      const r = metric.baseline.ratioTarget;
      ratio = { baseline: metric.baseline.metric, baselineMedian: base, value, met: r ? within(value, r) : null };
    }
    return { ...s, metric, targetMet, ratio };
  });
}

export function formatNumber(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(a >= 10 ? 1 : 2);
}

export function formatValue(x: number, unit: Unit): string {
  return unit === '%' ? `${x > 0 ? '+' : ''}${formatNumber(x)}%` : `${formatNumber(x)} ${unit}`;
}

export function formatRange(r: Range, unit: Unit | '×', of?: Target['of']): string {
  // Targets are round numbers: 250 ms, not 250.0 ms.
  const num = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : formatNumber(x));
  const v = (x: number) => `${num(x)}${unit === '×' || unit === '%' ? unit : ` ${unit}`}`;
  const what = of === 'worst' ? 'worst ' : '';
  if (r.min !== undefined && r.max !== undefined) {
    return unit === '%' && r.min === -r.max ? `${what}within ±${num(r.max)}%` : `${what}${v(r.min)} to ${v(r.max)}`;
  }
  return r.max !== undefined ? `${what}≤ ${v(r.max)}` : `${what}≥ ${v(r.min!)}`;
}

/** `min–max, n=N`, or `n=1` for a single sample. */
export function formatSpread(e: Pick<Evaluated, 'n' | 'min' | 'max'>, unit: Unit): string {
  const f = (x: number) => (unit === '%' ? formatValue(x, unit) : formatNumber(x));
  return e.n === 1 ? 'n=1' : `${f(e.min)}–${f(e.max)}, n=${e.n}`;
}

const verdict = (met: boolean | null) => (met === null ? '' : met ? ': met' : ': MISSED');

/**
 * The shared line, e.g.
 * `refresh.incremental_10M   median 274 ms  (spread 258–339, n=7)  target ≤ 250 ms: MISSED  ratio 68× to refresh.full_refresh_10M (target ≥ 100×: MISSED)`
 */
export function formatLine(e: Evaluated, nameWidth = 44): string {
  const m = e.metric;
  let line = `${`${m.detail ? '  ' : ''}${m.name}`.padEnd(nameWidth)} median ${formatValue(e.median, m.unit)}  (${e.n === 1 ? '' : 'spread '}${formatSpread(e, m.unit)})`;
  if (m.target) line += `  target ${formatRange(m.target, m.unit, m.target.of)}${verdict(e.targetMet)}`;
  if (e.ratio) {
    const rt = m.baseline?.ratioTarget;
    line += `  ratio ${formatNumber(e.ratio.value)}× to ${e.ratio.baseline}${rt ? ` (target ${formatRange(rt, '×')}${verdict(e.ratio.met)})` : ''}`;
  }
  return line;
}
