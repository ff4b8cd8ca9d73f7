import type { Span } from '../messages/email-text.js';
import { formatDelta } from '../messages/format-delta.js';
import type { Delta } from '../metrics/deltas.js';
import type { Snapshot } from '../metrics/snapshot.js';

/**
 * What every email section builder is given: the snapshot and the names of the periods it is
 * compared with; and the text helpers they share.
 */

/** Long names (a 300-character model) would stretch tables; the dashboard has the full ones. */
export const clip = (s: string, max = 80) => ([...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s);
/** A change in a table: arrow and size, never coloured (colour is for what the verdict names). */
export const deltaSpan = (d: Delta, suffix = ''): Span => ({ text: `${formatDelta(d)}${suffix}` });

export interface Context {
  s: Snapshot;
  kind: Snapshot['report']['period'];
  /** "Mon 23 Nov", "week 46", "Oct 2026". */
  previous: string;
  lastWeek: string | null;
}
