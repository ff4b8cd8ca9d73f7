import { formatCount, formatMs, formatRate, formatSignedPp, formatUsd } from '../messages/format.js';

/**
 * The one-line answer to "is everything all right?", and which changes deserve colour. A figure
 * is noteworthy only when it lies outside its normal variation: against the same weekday of the
 * last weeks (3 standard deviations and a floor, the anomaly rule), or, with less history than
 * that, past a fixed threshold of twice the floor. Everything else is neutral: a quiet Sunday
 * after a busy Saturday is not news. Pure: the snapshot passes every figure in.
 */

export type Tone = 'good' | 'bad' | 'neutral';

export type AttentionKind = 'silence' | 'success_rate' | 'latency' | 'cost' | 'traffic' | 'freshness';

export interface AttentionItem {
  kind: AttentionKind;
  /** The provider or service type it is about; null for the whole period. */
  segment: string | null;
  text: string;
}

export interface Verdict {
  status: 'normal' | 'attention';
  /** "All normal", "1 thing needs attention", "3 things need attention". */
  headline: string;
  items: AttentionItem[];
  /** What "usual" means here: "the usual Tuesday", "the previous week". */
  comparedWith: string;
  /** Tones of the headline figures, and of each service type's p95. */
  tones: { requests: Tone; costUsd: Tone; activeUsers: Tone; successRate: Tone; p95ByService: Record<string, Tone> };
}

/** A figure now and in the comparison periods that had traffic (most recent first). */
export interface Series {
  value: number | null;
  history: number[];
}

export interface VerdictInput {
  comparedWith: string;
  requests: Series;
  costUsd: Series;
  activeUsers: Series;
  successRate: Series & { requests: number };
  providers: Array<Series & { name: string; requests: number }>;
  services: Array<Series & { name: string; requests: number; targetMs: number }>;
  /** The success rate that scores 0 in the health score: below it is always news. */
  successFloor: number;
  silence: { expectedRequests: number } | null;
  freshness: { dataAgeMinutes: number | null; refreshAgeMinutes: number | null; maxData: number; maxRefresh: number };
}

/** History needed for the 3σ rule; with less, the fixed threshold (2 × floor) applies. */
const MIN_HISTORY = 3;
const SIGMAS = 3;
/** Fewer requests than this in a segment: its rate is noise. */
const MIN_SEGMENT_REQUESTS = 30;

const MINUS = '\u2212';
const signedPercent = (r: number) => `${r < 0 ? MINUS : '+'}${Math.abs(r * 100).toFixed(0)}%`;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * How far `value` is outside the normal variation of `history`, signed (+ above, − below), or 0
 * when it is inside. `floor` is the smallest distance that counts (1 pp, 10% of the mean).
 */
export function outsideNormal(value: number | null, history: readonly number[], floor: number): number {
  if (value === null || history.length === 0) return 0;
  const m = mean(history);
  const distance = value - m;
  if (history.length >= MIN_HISTORY) {
    const sd = Math.sqrt(history.reduce((a, b) => a + (b - m) ** 2, 0) / (history.length - 1));
    return Math.abs(distance) > Math.max(SIGMAS * sd, floor) ? distance : 0;
  }
  return Math.abs(distance) > 2 * floor ? distance : 0;
}

const RATE_FLOOR = 0.01;
const relativeFloor = (history: readonly number[]) => (history.length ? 0.1 * Math.abs(mean(history)) : 0);

/** Up is good (requests, users, success) or bad (cost, latency). */
function toneOf(distance: number, upIs: 'good' | 'bad'): Tone {
  if (distance === 0) return 'neutral';
  return distance > 0 === (upIs === 'good') ? 'good' : 'bad';
}

export function verdict(i: VerdictInput): Verdict {
  const items: AttentionItem[] = [];
  const vs = i.comparedWith;
  if (i.silence) {
    items.push({
      kind: 'silence',
      segment: null,
      text: `no requests at all (${vs} had ${formatCount(i.silence.expectedRequests)})`,
    });
  }
  for (const p of i.providers) {
    if (p.value === null || p.requests < MIN_SEGMENT_REQUESTS) continue;
    const d = outsideNormal(p.value, p.history, RATE_FLOOR);
    if (d < 0 || p.value < i.successFloor) {
      const usual = p.history.length ? ` (${formatSignedPp((p.value - mean(p.history)) * 100)} vs ${vs})` : '';
      items.push({ kind: 'success_rate', segment: p.name, text: `${p.name} success ${formatRate(p.value)}${usual}` });
    }
  }
  const serviceTones: Record<string, Tone> = {};
  for (const s of i.services) {
    const d = outsideNormal(s.value, s.history, relativeFloor(s.history));
    serviceTones[s.name] = toneOf(d, 'bad');
    if (s.value === null || s.requests < MIN_SEGMENT_REQUESTS) continue;
    if ((d > 0 && s.value > s.targetMs) || s.value >= 2 * s.targetMs) {
      const usual = s.history.length ? `, usually ${formatMs(mean(s.history))}` : '';
      items.push({
        kind: 'latency',
        segment: s.name,
        text: `${s.name} p95 ${formatMs(s.value)} (target ${formatMs(s.targetMs)}${usual})`,
      });
    }
  }
  const cost = outsideNormal(i.costUsd.value, i.costUsd.history, relativeFloor(i.costUsd.history));
  if (cost > 0 && i.costUsd.value !== null) {
    const ratio = cost / mean(i.costUsd.history);
    items.push({
      kind: 'cost',
      segment: null,
      text: `cost ${formatUsd(i.costUsd.value)} (${signedPercent(ratio)} vs ${vs})`,
    });
  }
  const traffic = outsideNormal(i.requests.value, i.requests.history, relativeFloor(i.requests.history));
  if (traffic < 0 && !i.silence && i.requests.value !== null) {
    const ratio = traffic / mean(i.requests.history);
    items.push({
      kind: 'traffic',
      segment: null,
      text: `requests ${formatCount(i.requests.value)} (${signedPercent(ratio)} vs ${vs})`,
    });
  }
  const f = i.freshness;
  if (f.dataAgeMinutes !== null && f.dataAgeMinutes > f.maxData) {
    items.push({
      kind: 'freshness',
      segment: null,
      text: `newest row ${formatCount(f.dataAgeMinutes)} min old (limit ${formatCount(f.maxData)} min)`,
    });
  } else if (f.refreshAgeMinutes !== null && f.refreshAgeMinutes > f.maxRefresh) {
    items.push({
      kind: 'freshness',
      segment: null,
      text: `last refresh ${formatCount(f.refreshAgeMinutes)} min ago (limit ${formatCount(f.maxRefresh)} min)`,
    });
  }
  const rate = outsideNormal(i.successRate.value, i.successRate.history, RATE_FLOOR);
  return {
    status: items.length ? 'attention' : 'normal',
    headline:
      items.length === 0
        ? 'All normal'
        : `${items.length} ${items.length === 1 ? 'thing needs' : 'things need'} attention`,
    items,
    comparedWith: vs,
    tones: {
      requests: toneOf(outsideNormal(i.requests.value, i.requests.history, relativeFloor(i.requests.history)), 'good'),
      costUsd: toneOf(cost, 'bad'),
      activeUsers: toneOf(
        outsideNormal(i.activeUsers.value, i.activeUsers.history, relativeFloor(i.activeUsers.history)),
        'good',
      ),
      successRate: toneOf(rate, 'good'),
      p95ByService: serviceTones,
    },
  };
}
