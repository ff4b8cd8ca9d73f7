import type { TopLevelSpec } from 'vega-lite';
import { INK, TEXT } from './theme.js';

/**
 * Row charts (top models, providers compared, health components) read like a table on a phone:
 * each row is a line of text (its name on the left, its figures on the right) above a bar or a
 * dot, so no name competes with the plot for width. Row i spans [i, i + 1] on a reversed linear
 * y scale; the data carries `row` = i.
 */

type Layer = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>[number];

/** Where in a row the text line and the mark sit (fractions of the row). */
const TEXT_TOP = 0.06;
const MARK = { top: 0.5, bottom: 0.76 } as const;

function rowScale(rows: number) {
  return { domain: [0, Math.max(1, rows)], reverse: true, nice: false, zero: false };
}

/** The y (and y2) of a row's bar or dot, from the data's `row` field. */
export function markY(rows: number) {
  const scale = rowScale(rows);
  return {
    top: { field: 'markTop', type: 'quantitative' as const, scale, axis: null },
    bottom: { field: 'markBottom' },
    middle: { field: 'markMiddle', type: 'quantitative' as const, scale, axis: null },
  };
}

/** Adds the y positions the row layers read, from `row`. */
export function placeRows<T extends { row: number }>(values: T[]) {
  return values.map((v) => ({
    ...v,
    textTop: v.row + TEXT_TOP,
    markTop: v.row + MARK.top,
    markBottom: v.row + MARK.bottom,
    markMiddle: v.row + (MARK.top + MARK.bottom) / 2,
  }));
}

/**
 * The text line of each row: `left` (the name) at the left edge, `right` (its figures) at the
 * right edge, both clipped to the plot (vega's estimate of text width must not widen the picture).
 */
export function rowText(rows: number, left: string, right: string, rightColour: string = INK.text): Layer[] {
  const y = { field: 'textTop', type: 'quantitative' as const, scale: rowScale(rows), axis: null };
  const text = (field: string, align: 'left' | 'right', colour: string, weight: 'normal' | 'bold'): Layer => ({
    mark: {
      type: 'text',
      align,
      baseline: 'top',
      clip: true,
      fontSize: TEXT.body,
      fontWeight: weight,
      color: colour,
      x: align === 'left' ? 0 : { expr: 'width' },
    },
    encoding: { y, text: { field } },
  });
  return [text(left, 'left', INK.text, 'normal'), text(right, 'right', rightColour, 'bold')];
}
