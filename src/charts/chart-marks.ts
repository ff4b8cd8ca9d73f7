import type { TopLevelSpec } from 'vega-lite';
import { INK, TEXT } from './theme.js';

/**
 * Layers the charts share, so a threshold or the report's day looks the same everywhere: a pale
 * band behind the report's day(s), and a dashed ink line with its label for an SLO, a target or
 * a budget.
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
 * A horizontal threshold at `value` on the y field `field`, labelled at the right end
 * ("SLO 99%"), above the line or, when the line runs near the top of the plot, below it. `y` is
 * the encoding the chart's data uses, so the line shares its scale.
 */
export function thresholdRule(
  y: Record<string, unknown>,
  value: number,
  label: string,
  place: 'above' | 'below' = 'above',
): Layer[] {
  const field = String(y.field);
  // Field, type and scale only: the axis is the chart's own layer's.
  const yy = { field, type: y.type, ...(y.scale ? { scale: y.scale } : {}) } as never;
  return [
    {
      data: { values: [{ [field]: value }] },
      mark: { type: 'rule', color: INK.threshold, strokeDash: [6, 4], strokeWidth: 2, clip: true },
      encoding: { y: yy },
    },
    // The label twice: a white outline first, so it stays legible over bars and lines.
    ...(['#ffffff', INK.threshold] as const).map(
      (colour): Layer => ({
        data: { values: [{ [field]: value, text: label }] },
        mark: {
          type: 'text',
          align: 'right',
          baseline: place === 'above' ? 'bottom' : 'top',
          dy: place === 'above' ? -3 : 4,
          fontSize: TEXT.body,
          fontWeight: 700,
          color: colour,
          x: { expr: 'width' },
          clip: true,
          ...(colour === '#ffffff' ? { stroke: colour, strokeWidth: 5, strokeJoin: 'round' as const } : {}),
        },
        encoding: { y: yy, text: { field: 'text' } },
      }),
    ),
  ];
}
