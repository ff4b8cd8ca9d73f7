import type { Block, Cell, Span, Tone } from '../messages/email-text.js';
import { formatDelta } from '../messages/format-delta.js';
import {
  formatCount,
  formatNumber,
  formatRate,
  formatSignedUsd,
  formatUsd,
  latencyFormat,
} from '../messages/format.js';
import { MIN_HISTORY, type AnomalyKpi } from '../metrics/anomalies.js';
import type { Contribution } from '../metrics/attribution.js';
import type { HealthKey } from '../metrics/health.js';
import { attributionDeltas, type Snapshot } from '../metrics/snapshot.js';
import { comparisonNote, keyFigures, verdictTitle, type KeyFigure } from './digest-headline.js';
import { clip, type Context } from './email-section-context.js';

/** The headline sections of the email digest: key figures, health, and what moved since the previous period. */

const share = (c: Contribution) =>
  c.shareOfChange !== null && c.shareOfChange > 0 ? ` (${formatRate(c.shareOfChange, 0)} of the change)` : '';

/**
 * The key figures, each against what the period is judged by (digest-headline.ts), coloured
 * only when the change is noteworthy; then the volumes.
 */
export function kpiBlocks({ s }: Context): Block[] {
  const cur = s.kpis.current;
  // A table, not big stat tiles: seven figures stay one screen tall on a phone.
  return [
    {
      kind: 'table',
      columns: [{ label: '' }, { label: 'Value', align: 'right' }, { label: 'Change', align: 'right' }],
      rows: keyFigures(s).map((f: KeyFigure): Cell[] => [
        { text: f.label },
        { text: f.value, ...(f.tone !== 'neutral' ? { tone: f.tone } : {}) },
        { text: f.change ?? '–', tone: f.tone },
      ]),
    },
    {
      kind: 'paragraph',
      muted: true,
      spans: [
        {
          text: `${comparisonNote(s)[0]!.toUpperCase()}${comparisonNote(s).slice(1)}. Volume: ${formatCount(cur.tokens)} tokens · ${formatCount(cur.images)} images · ${formatCount(cur.videoSeconds)} s of video.`,
        },
      ],
    },
  ];
}

/** The verdict at the very top: what a reader on a phone sees first. */
export function verdictBlocks(s: Snapshot): Block[] {
  const blocks: Block[] = [
    {
      kind: 'notice',
      tone: s.verdict.status === 'normal' ? 'good' : 'bad',
      spans: [{ text: verdictTitle(s), strong: true }],
    },
  ];
  if (s.verdict.items.length)
    blocks.push({ kind: 'list', items: s.verdict.items.map((i) => [{ text: clip(i.text, 200) }]) });
  return blocks;
}

const HEALTH_NAMES: Record<HealthKey, string> = {
  success_rate: 'Success rate',
  latency: 'Latency (p95)',
  cost: 'Cost',
  freshness: 'Data freshness',
};
const scoreTone = (score: number | null): Tone =>
  score === null ? 'neutral' : score >= 90 ? 'good' : score >= 75 ? 'warning' : 'bad';

export function healthBlocks({ s }: Context): Block[] {
  const h = s.health;
  return [
    {
      kind: 'stats',
      items: [
        {
          label: 'Health score',
          value: h.score === null ? 'not scored' : `${h.score}/100`,
          tone: scoreTone(h.score),
          notes: [{ text: 'Weighted mean of the components below; a component without data is left out.' }],
        },
      ],
    },
    {
      kind: 'table',
      columns: [
        { label: 'Component' },
        { label: 'Score', align: 'right' },
        { label: 'Points', align: 'right' },
        { label: 'Details' },
      ],
      rows: h.components.map((c) => [
        { text: HEALTH_NAMES[c.key] },
        { text: c.score === null ? 'left out' : formatNumber(c.score), tone: scoreTone(c.score) },
        { text: c.score === null ? '–' : `${formatNumber(c.contribution, 1)} of ${formatNumber(c.weight)}` },
        { text: `${c.note}; target ${c.target}` },
      ]),
    },
  ];
}

// Each anomaly's value and mean are read side by side: latencies share a unit (latencyFormat).
const ANOMALY_KPIS: Record<AnomalyKpi, { label: string; value: (x: number, mean: number) => string }> = {
  requests: { label: 'Requests', value: formatCount },
  costUsd: { label: 'Cost', value: formatUsd },
  activeUsers: { label: 'Active users', value: formatCount },
  successRate: { label: 'Success rate', value: (x) => formatRate(x) },
  avgLatencyMs: { label: 'Avg latency', value: (x, mean) => latencyFormat([x, mean])(x) },
  p95LatencyMs: { label: 'p95 latency', value: (x, mean) => latencyFormat([x, mean])(x) },
};

export function moverBlocks({ s, kind, previous: dayBefore, lastWeek }: Context): Block[] {
  const { deltas, weekAgo } = attributionDeltas(s);
  const previous = weekAgo && lastWeek ? lastWeek : dayBefore;
  const out: Block[] = [];
  const cost = s.attribution.cost;
  const costDelta = deltas.costUsd;
  out.push({
    kind: 'paragraph',
    spans: [
      { text: 'Cost ', strong: true },
      { text: `${formatSignedUsd(cost.totalChange)} vs ${previous}` },
      { text: ` (${formatDelta(costDelta)})`, tone: s.verdict.tones.costUsd },
    ],
  });
  if (cost.byModel.length) {
    out.push({
      kind: 'list',
      items: cost.byModel
        .slice(0, 3)
        .map((c) => [{ text: clip(c.key), strong: true }, { text: ` ${formatSignedUsd(c.change)}${share(c)}` }]),
    });
    out.push({
      kind: 'paragraph',
      muted: true,
      spans: [
        {
          text: `By provider: ${cost.byProvider
            .slice(0, 4)
            .map((c) => `${clip(c.key, 40)} ${formatSignedUsd(c.change)}`)
            .join(', ')}`,
        },
      ],
    });
  }
  const rate = s.attribution.successRate;
  if (rate === null) {
    out.push({
      kind: 'paragraph',
      spans: [{ text: 'Success rate ', strong: true }, { text: `not compared: no traffic in one of the two periods.` }],
    });
  } else {
    const d = deltas.successRate;
    out.push({
      kind: 'paragraph',
      spans: [
        { text: 'Success rate ', strong: true },
        { text: `${formatDelta(d)} vs ${previous}`, tone: s.verdict.tones.successRate },
      ],
    });
    const line = (label: string, cs: readonly Contribution[]): Span[] => [
      { text: `${label}: ` },
      ...cs.flatMap((c, i): Span[] => [
        // What the segment did to the rate, in words: "+0.5 pp" beside an error code reads as more of it.
        { text: `${i ? ', ' : ''}${clip(c.key, 40)} ${c.change < 0 ? 'took' : 'gave back'} ` },
        { text: `${formatNumber(Math.abs(c.change), 1)} pp` },
      ]),
    ];
    const items = [
      line('By provider', rate.byProvider.slice(0, 3)),
      line('By error', (rate.byErrorCode ?? []).slice(0, 3)),
    ].filter((l) => l.length > 1);
    if (items.length) out.push({ kind: 'list', items });
  }
  const a = s.anomalies;
  for (const f of a.flags) {
    const k = ANOMALY_KPIS[f.kpi];
    out.push({
      kind: 'notice',
      tone: 'warning',
      spans: [
        {
          text: `${k.label} unusually ${f.direction}: ${k.value(f.value, f.mean)} against a usual ${k.value(f.mean, f.value)} (${formatNumber(f.deviations, 1)} standard deviations, same weekday of the last ${a.comparableWeeks} weeks)`,
        },
      ],
    });
  }
  if (kind === 'day' && a.flags.length === 0) {
    out.push({
      kind: 'paragraph',
      muted: true,
      spans: [
        {
          text:
            a.comparableWeeks >= MIN_HISTORY
              ? `No anomalies against the same weekday of the last ${a.comparableWeeks} weeks.`
              : `Anomalies not checked: ${a.comparableWeeks} comparable weeks with traffic, ${MIN_HISTORY} needed.`,
        },
      ],
    });
  }
  return out;
}
