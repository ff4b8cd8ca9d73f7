import type { TopLevelSpec } from 'vega-lite';
import { INK } from './theme.js';

/**
 * Layers the charts share, so a threshold or the report's day looks the same everywhere: a pale
 * band behind the report's day(s), and a dashed ink line for an SLO, a target or a budget.
 */

type Layer = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>[number];

/** A band behind each highlighted day of a per-day chart (x is that chart's dayX encoding). */
export function dayBand(x: { field: string; type: 'ordinal'; scale: object }, days: readonly string[]): Layer[] {
  const shown = days.filter((d) => (x.scale as { domain?: string[] }).domain?.includes(d) ?? false);
  if (shown.length === 0) return [];
  return [
    {
      data: { values: shown.map((date) => ({ date })) },
      // A little wider than the day's band, so a run of days (a week) is one unbroken band.
      mark: { type: 'rect', color: INK.highlight, width: { band: 1.2 }, clip: true },
      // No axis here: the chart's own layer sets it, and vega-lite merges the layers' axes.
      encoding: { x: { field: x.field, type: x.type, scale: x.scale } },
    },
  ];
}

/**
 * A horizontal threshold at `value`, dashed ink across the plot. `y` is the encoding the chart's
 * data uses, so the line shares its scale. The line carries no label of its own: a label at the
 * line runs into the data whenever the data runs along the threshold, which is when it matters;
 * the panel's title or subtitle names it instead ("SLO 99% dashed").
 */
export function thresholdRule(y: Record<string, unknown>, value: number): Layer[] {
  const field = String(y.field);
  // Field, type and scale only: the axis is the chart's own layer's.
  const yy = { field, type: y.type, ...(y.scale ? { scale: y.scale } : {}) } as never;
  return [
    {
      data: { values: [{ [field]: value }] },
      mark: { type: 'rule', color: INK.threshold, strokeDash: [6, 4], strokeWidth: 2, clip: true },
      encoding: { y: yy },
    },
  ];
}
