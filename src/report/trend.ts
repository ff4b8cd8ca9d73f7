import { deltaDirection, type DeltaDirection } from '../messages/format-delta.js';
import type { Delta } from '../metrics/deltas.js';

// Which way a change went, as written; whether it deserves colour is metrics/verdict.ts.

export type Trend = DeltaDirection;

/** Up, down, flat (it reads "no change") or none (a side without traffic), as the message writes it. */
export const trendOf = (delta: Delta): Trend => deltaDirection(delta);
