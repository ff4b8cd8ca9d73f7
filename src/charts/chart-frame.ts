import type { TopLevelSpec } from 'vega-lite';
import { config, INK, SIZE, TEXT } from './theme.js';

/**
 * The chart catalog is pure functions from data to Vega-Lite specs, data inline as `values`.
 * Every function survives zero rows (a "No data for …" image), one row, NaN/null numbers (the row
 * or the value is dropped), negative values and very long names. Single views use
 * `autosize: fit`, so the picture has exactly the declared size; row charts (one line of text and
 * a bar per row) use `pad` with a height from their row count, so rows keep their spacing.
 */

export type Size = { width: number; height: number };

type Title = { text: string; subtitle?: string | string[] };
const titleOf = (title: string, subtitle: string | string[] | null): Title | string =>
  subtitle?.length ? { text: title, subtitle } : title;

export function frame(
  title: string,
  subtitle: string | string[] | null,
  size: Size,
): Pick<TopLevelSpec, 'config' | 'title' | 'autosize'> & Size {
  return {
    config,
    title: titleOf(title, subtitle),
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
  };
}

/**
 * The title of one panel of a concatenated chart, starting at the picture's left edge: `indent`
 * is the room the panel's y axis takes left of its plot.
 */
export const panelTitle = (text: string, indent = 0) => ({
  text,
  fontSize: TEXT.body,
  fontWeight: 'bold' as const,
  offset: 8,
  anchor: 'start' as const,
  frame: 'group' as const,
  dx: -indent,
});

/** Height of one row in the row charts: a line of text above a bar or dot, and a gap. */
export const ROW = 50;

/**
 * A row chart's frame: the plot spans the whole width between the paddings (no y axis), `rows`
 * rows high. Its text marks are clipped to the plot, so vega's generous width estimate of text
 * cannot widen the picture.
 */
export function rowFrame(
  title: string,
  subtitle: string | string[] | null,
  rows: number,
): Pick<TopLevelSpec, 'config' | 'title' | 'autosize'> & Size {
  const padding = Number(config.padding);
  return {
    config,
    title: titleOf(title, subtitle),
    width: SIZE.wide.width - 2 * padding,
    height: Math.max(1, rows) * ROW,
    autosize: { type: 'pad' },
  };
}

/** The image for an empty data set: the message centred on a blank canvas of the chart's size. */
export function noData(title: string, size: Size = SIZE.empty): TopLevelSpec {
  const small = size.height < 120;
  return {
    config,
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
    data: { values: [{}] },
    mark: {
      type: 'text',
      align: 'center',
      baseline: 'middle',
      fontSize: small ? 12 : TEXT.body,
      color: INK.muted,
      limit: size.width - 24,
    },
    encoding: {
      x: { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] }, axis: null },
      y: { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] }, axis: null },
      text: { value: `No data for ${title}` },
    },
  };
}
