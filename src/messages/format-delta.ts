import type { Delta } from '../metrics/deltas.js';
import { numberFormatted } from './format.js';

/**
 * How a period-over-period change (metrics/deltas.ts) is written, the one way every message
 * writes it: an arrow and the unsigned magnitude, one decimal ("▲ 4.2%", "▼ 13.4%", "▼ 0.3 pp");
 * "no change" when it rounds to zero; the cases without a figure in words. The arrow carries the
 * direction, so a sign beside it would say it twice. Whether a change is good or bad news is not
 * decided here.
 */

export type DeltaDirection = 'up' | 'down' | 'flat' | 'none';

/** The change as the reader sees it, rounded to one decimal: "4.2%", "0.3 pp"; null without a figure. */
function magnitude(delta: Delta): { value: number; text: string } | null {
  switch (delta.kind) {
    case 'relative': {
      const { value, text } = numberFormatted(delta.ratio * 100, 1);
      return { value, text: `${text}%` };
    }
    case 'points': {
      const { value, text } = numberFormatted(delta.points, 1);
      return { value, text: `${text} pp` };
    }
    case 'unchanged-zero':
    case 'no-traffic':
      return null;
  }
}

/**
 * Which way a change went, as written: 'flat' exactly when it reads "no change" (it rounds to
 * zero, or 0 then 0), 'none' when a side had no traffic.
 */
export function deltaDirection(delta: Delta): DeltaDirection {
  if (delta.kind === 'no-traffic') return 'none';
  const m = magnitude(delta);
  if (m === null || m.value === 0) return 'flat';
  const raw = delta.kind === 'relative' ? delta.ratio : delta.kind === 'points' ? delta.points : 0;
  return raw > 0 ? 'up' : 'down';
}

/**
 * "▲ 4.2%", "▼ 13.4%", "▼ 0.3 pp", "no change"; a side without traffic: "no traffic" (this
 * period or both), "no traffic before" (the period compared with, or an amount that was 0 then).
 */
export function formatDelta(delta: Delta): string {
  if (delta.kind === 'no-traffic') return delta.side === 'previous' ? 'no traffic before' : 'no traffic';
  const m = magnitude(delta);
  if (m === null || m.value === 0) return 'no change';
  return `${deltaDirection(delta) === 'up' ? '▲' : '▼'} ${m.text}`;
}
