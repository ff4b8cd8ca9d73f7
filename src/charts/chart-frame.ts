import type { TopLevelSpec } from 'vega-lite';
import { config, INK, SIZE } from './theme.js';

/**
 * The chart catalog is pure functions from data to Vega-Lite specs, data inline as `values`.
 * Every function survives zero rows (a "No data for …" image), one row, NaN/null numbers (the row
 * or the value is dropped), negative values and very long names. Single views use
 * `autosize: fit` so the picture has exactly the declared size: the frame below.
 */

export type Size = { width: number; height: number };

export function frame(
  title: string,
  subtitle: string | null,
  size: Size,
): Pick<TopLevelSpec, 'config' | 'title' | 'autosize'> & Size {
  return {
    config,
    title: subtitle ? { text: title, subtitle } : title,
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
  };
}

/** The image for an empty data set: the message centred on a blank canvas of the chart's size. */
export function noData(title: string, size: Size = SIZE.wide): TopLevelSpec {
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
      fontSize: small ? 12 : 15,
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
