import type { TopLevelSpec } from 'vega-lite';
import { noData } from './chart-frame.js';
import { count, ms, msExpr, num, pct, truncate, usd } from './chart-values.js';
import type { SparkPoint } from './series.js';
import { config, INK, SIZE } from './theme.js';

export type SparkUnit = 'ms' | 'usd' | 'ratio' | 'count';

const sparkFormat: Record<SparkUnit, Record<string, string>> = {
  ms: { labelExpr: msExpr('datum.value') },
  usd: { format: '$,.2~f' },
  ratio: { format: '.1~%' },
  count: { format: '~s' },
};

/** A small line of an alert's metric over the last hours, with the threshold (600×160 at 2×). */
export function alertSparkline(
  points: SparkPoint[],
  threshold: number,
  unit: SparkUnit,
  label = 'Metric',
): TopLevelSpec {
  const values = points
    .map((p) => ({ at: p.at, value: num(p.value) }))
    .filter(
      (p): p is { at: string; value: number } =>
        typeof p.at === 'string' && !Number.isNaN(Date.parse(p.at)) && p.value !== null,
    )
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const name = truncate(label, 28);
  const first = values[0];
  const last = values[values.length - 1];
  if (!first || !last) return noData(name, SIZE.spark);
  const hours = Math.max(1, Math.round((Date.parse(last.at) - Date.parse(first.at)) / 3_600_000));
  const to = new Date(Date.parse(last.at)).toISOString().slice(11, 16);
  const t = num(threshold);
  const x = { field: 'at', type: 'temporal', scale: { type: 'utc' }, axis: null } as const;
  const y = {
    field: 'value',
    type: 'quantitative',
    title: null,
    scale: { zero: false },
    axis: { ...sparkFormat[unit], tickCount: 3, labelFontSize: 10, domain: false, ticks: false, grid: true },
  } as const;
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    { mark: { type: 'line', color: INK.series, strokeWidth: 2, interpolate: 'monotone' }, encoding: { x, y } },
    {
      data: { values: [last] },
      mark: { type: 'point', filled: true, color: INK.series, size: 30 },
      encoding: { x, y },
    },
  ];
  if (t !== null) {
    layers.unshift({
      data: { values: [{ value: t }] },
      mark: { type: 'rule', color: INK.threshold, strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { y },
    });
  }
  return {
    config: { ...config, padding: 8, title: { ...config.title, fontSize: 12, subtitleFontSize: 10, offset: 4 } },
    title: {
      text: `${name} · last ${hours} h to ${to} UTC`,
      subtitle: t === null ? '' : `threshold (dashed) ${formatSpark(t, unit)}`,
    },
    width: SIZE.spark.width,
    height: SIZE.spark.height,
    autosize: { type: 'fit', contains: 'padding' },
    data: { values },
    layer: layers,
  };
}

function formatSpark(v: number, unit: SparkUnit): string {
  if (unit === 'ms') return ms(v);
  if (unit === 'usd') return usd(v);
  if (unit === 'ratio') return pct(v);
  return count(v);
}
