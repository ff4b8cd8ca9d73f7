import {
  formatAge,
  formatCount,
  formatMs,
  formatRate,
  formatSignedPercent,
  formatSignedPp,
  formatUsd,
} from '../messages/format.js';

/**
 * The one-line answer to "is everything all right?", and which changes deserve colour. A figure
 * is noteworthy only when it lies outside its normal variation: for a day, against the same
 * weekday of the last weeks (3 standard deviations and a floor, the anomaly rule; with fewer than 3
 * of them, a day is judged on absolute limits, and a provider's success rate on the floor alone);
 * for a week or month, past twice the floor against the previous one. A provider's success rate
 * must also fail more calls than chance explains. Everything else is neutral: a quiet Sunday after a busy Saturday is not news. Pure.
 */

export type Tone = 'good' | 'bad' | 'neutral';

export type AttentionKind = 'silence' | 'success_rate' | 'latency' | 'cost' | 'traffic' | 'freshness';

export interface AttentionItem {
  kind: AttentionKind;
  /** The provider or service type it is about; null for the whole period. */
  segment: string | null;
  /** "anthropic success 94.1% (−3.2 pp vs the usual Tuesday)" */
  text: string;
  /** The same without its comparison, for a subject line: "anthropic success 94.1%". */
  short: string;
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
  /**
   * `spread`: day reports, against the same weekdays (3σ and a floor; needs 3 of them).
   * `threshold`: week and month reports, against the previous one (twice the floor).
   */
  rule: 'spread' | 'threshold';
  requests: Series;
  costUsd: Series;
  activeUsers: Series;
  successRate: Series & { requests: number };
  providers: Array<Series & { name: string; requests: number; outcomes: number; failures: number }>;
  services: Array<Series & { name: string; requests: number; targetMs: number }>;
  /** The success rate that scores 0 in the health score: below it is always news. */
  successFloor: number;
  silence: { expectedRequests: number } | null;
  freshness: { dataAgeMinutes: number | null; refreshAgeMinutes: number | null; maxData: number; maxRefresh: number };
}

/** Periods needed for the 3σ rule: with fewer, a day is not judged against its history at all. */
const MIN_HISTORY = 3;
const SIGMAS = 3;
/** Fewer requests than this in a segment: its rate is noise. */
const MIN_SEGMENT_REQUESTS = 30;
/** How unlikely a segment's failures must be by chance alone to be news (about 3σ one-sided). */
const SURPRISE = 0.001;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * How far `value` is outside the normal variation of `history`, signed (+ above, − below), or 0
 * when it is inside. `floor` is the smallest distance that counts (1 pp, 10% of the mean).
 */
export function outsideNormal(
  value: number | null,
  history: readonly number[],
  floor: number,
  rule: VerdictInput['rule'],
): number {
  if (value === null || history.length === 0) return 0;
  const m = mean(history);
  const distance = value - m;
  if (rule === 'threshold') return Math.abs(distance) > 2 * floor ? distance : 0;
  if (history.length < MIN_HISTORY) return 0;
  const sd = Math.sqrt(history.reduce((a, b) => a + (b - m) ** 2, 0) / (history.length - 1));
  return Math.abs(distance) > Math.max(SIGMAS * sd, floor) ? distance : 0;
}

/**
 * P(X >= k) for X ~ Poisson(lambda): how surprising k failures are where lambda are usual. A
 * provider with 300 calls a day and a usual 0.7% failing sees 6 failures about one day in 40: a
 * bad day by chance, not an incident; 32 failures are. Summed in log space: no underflow.
 */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  let logTerm = -lambda;
  let logBelow = logTerm;
  for (let i = 1; i < k; i++) {
    logTerm += Math.log(lambda) - Math.log(i);
    const hi = Math.max(logBelow, logTerm);
    logBelow = hi + Math.log(Math.exp(logBelow - hi) + Math.exp(logTerm - hi));
  }
  return Math.max(0, 1 - Math.exp(logBelow));
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
      short: 'no requests at all',
    });
  }
  for (const p of i.providers) {
    if (p.value === null || p.requests < MIN_SEGMENT_REQUESTS) continue;
    // With fewer same weekdays than the spread needs, the floor and the chance test below decide.
    const drop = p.history.length ? p.value - mean(p.history) : 0;
    const d =
      i.rule === 'spread' && p.history.length < MIN_HISTORY
        ? drop < -RATE_FLOOR
          ? drop
          : 0
        : outsideNormal(p.value, p.history, RATE_FLOOR, i.rule);
    // At least one failure is expected: a provider that never failed is not news at its first.
    const expected = p.history.length ? Math.max(1, p.outcomes * (1 - mean(p.history))) : 1;
    const surprising = poissonTail(p.failures, expected) < SURPRISE;
    if ((d < 0 && surprising) || p.value < i.successFloor) {
      const usual = p.history.length ? ` (${formatSignedPp((p.value - mean(p.history)) * 100)} vs ${vs})` : '';
      const short = `${p.name} success ${formatRate(p.value)}`;
      items.push({ kind: 'success_rate', segment: p.name, text: `${short}${usual}`, short });
    }
  }
  const serviceTones: Record<string, Tone> = {};
  for (const s of i.services) {
    const d = outsideNormal(s.value, s.history, relativeFloor(s.history), i.rule);
    serviceTones[s.name] = toneOf(d, 'bad');
    if (s.value === null || s.requests < MIN_SEGMENT_REQUESTS) continue;
    if ((d > 0 && s.value > s.targetMs) || s.value >= 2 * s.targetMs) {
      const usual = s.history.length ? `, usually ${formatMs(mean(s.history))}` : '';
      const short = `${s.name} p95 ${formatMs(s.value)}`;
      items.push({
        kind: 'latency',
        segment: s.name,
        text: `${short} (target ${formatMs(s.targetMs)}${usual})`,
        short,
      });
    }
  }
  const cost = outsideNormal(i.costUsd.value, i.costUsd.history, relativeFloor(i.costUsd.history), i.rule);
  if (cost > 0 && i.costUsd.value !== null) {
    const ratio = cost / mean(i.costUsd.history);
    items.push({
      kind: 'cost',
      segment: null,
      text: `cost ${formatUsd(i.costUsd.value)} (${formatSignedPercent(ratio)} vs ${vs})`,
      short: `cost ${formatUsd(i.costUsd.value)}`,
    });
  }
  const traffic = outsideNormal(i.requests.value, i.requests.history, relativeFloor(i.requests.history), i.rule);
  if (traffic < 0 && !i.silence && i.requests.value !== null) {
    const ratio = traffic / mean(i.requests.history);
    items.push({
      kind: 'traffic',
      segment: null,
      text: `requests ${formatCount(i.requests.value)} (${formatSignedPercent(ratio)} vs ${vs})`,
      short: `requests ${formatCount(i.requests.value)}`,
    });
  }
  const f = i.freshness;
  const stale = (short: string, text: string) => items.push({ kind: 'freshness', segment: null, text, short });
  if (f.dataAgeMinutes === null) stale('no usage data', 'no usage data has arrived');
  else if (f.dataAgeMinutes > f.maxData)
    stale(
      `newest row ${formatAge(f.dataAgeMinutes)} old`,
      `newest row ${formatAge(f.dataAgeMinutes)} old (limit ${formatAge(f.maxData)})`,
    );
  else if (f.refreshAgeMinutes === null) stale('never refreshed', 'the rollups were never refreshed');
  else if (f.refreshAgeMinutes > f.maxRefresh)
    stale(
      `last refresh ${formatAge(f.refreshAgeMinutes)} ago`,
      `last refresh ${formatAge(f.refreshAgeMinutes)} ago (limit ${formatAge(f.maxRefresh)})`,
    );
  const rate = outsideNormal(i.successRate.value, i.successRate.history, RATE_FLOOR, i.rule);
  return {
    status: items.length ? 'attention' : 'normal',
    headline:
      items.length === 0
        ? 'All normal'
        : `${items.length} ${items.length === 1 ? 'thing needs' : 'things need'} attention`,
    items,
    comparedWith: vs,
    tones: {
      requests: toneOf(traffic, 'good'),
      costUsd: toneOf(cost, 'bad'),
      activeUsers: toneOf(
        outsideNormal(i.activeUsers.value, i.activeUsers.history, relativeFloor(i.activeUsers.history), i.rule),
        'good',
      ),
      successRate: toneOf(rate, 'good'),
      p95ByService: serviceTones,
    },
  };
}
