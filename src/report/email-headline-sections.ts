import type { Block, Cell, Span, Tone } from '../messages/email-text.js';
import { formatDelta } from '../messages/format-delta.js';
import {
  formatCount,
  formatNumber,
  formatRate,
  formatSignedPp,
  formatSignedUsd,
  formatUsd,
  latencyFormat,
} from '../messages/format.js';
import { MIN_HISTORY, type AnomalyKpi } from '../metrics/anomalies.js';
import type { Contribution } from '../metrics/attribution.js';
import type { Delta } from '../metrics/deltas.js';
import type { HealthKey } from '../metrics/health.js';
import type { KpiDeltas, Kpis } from '../metrics/kpis.js';
import { clip, type Context, deltaSpan } from './email-section-context.js';
import { KPI_POLARITY, toneOf, type Polarity } from './trend.js';

/** The headline sections of the email digest: key figures, health, and what moved since the previous period. */

const share = (c: Contribution) =>
  c.shareOfChange !== null && c.shareOfChange > 0 ? ` (${formatRate(c.shareOfChange, 0)} of the change)` : '';

// The two latencies share the table's value column, so they share a unit.
const latency = (k: Kpis) => latencyFormat([k.avgLatencyMs, k.p95LatencyMs]);
const KPI_ROWS: Array<{ key: keyof KpiDeltas; label: string; value: (k: Kpis) => string }> = [
  { key: 'costUsd', label: 'Cost', value: (k) => formatUsd(k.costUsd) },
  { key: 'requests', label: 'Requests', value: (k) => formatCount(k.requests) },
  {
    key: 'successRate',
    label: 'Success rate',
    value: (k) => (k.successRate === null ? 'no traffic' : formatRate(k.successRate)),
  },
  { key: 'activeUsers', label: 'Active users', value: (k) => formatCount(k.activeUsers) },
  { key: 'avgLatencyMs', label: 'Avg latency', value: (k) => latency(k)(k.avgLatencyMs) },
  { key: 'p95LatencyMs', label: 'p95 latency', value: (k) => latency(k)(k.p95LatencyMs) },
];

export function kpiBlocks({ s, kind, previous, lastWeek }: Context): Block[] {
  const cur = s.kpis.current;
  const vsWeek = s.deltas.vsSameWeekdayLastWeek;
  // "▼ 18.6% vs Mon 23 Nov"; an empty side is said once, in words.
  const note = (d: Delta, key: keyof KpiDeltas, label: string): Span[] => {
    if (d.kind !== 'no-traffic') return [deltaSpan(d, KPI_POLARITY[key], ` vs ${label}`)];
    return d.side === 'previous'
      ? [{ text: `no traffic ${kind === 'day' ? 'on' : 'in'} ${label}`, tone: 'neutral' }]
      : [];
  };
  const notes = (key: keyof KpiDeltas): Span[] => [
    ...note(s.deltas.vsPrevious[key], key, previous),
    ...(vsWeek && lastWeek ? note(vsWeek[key], key, lastWeek) : []),
  ];
  const [hero, rest] = [KPI_ROWS.slice(0, 3), KPI_ROWS.slice(3)];
  const cell = (d: Delta, p: Polarity): Cell => ({ text: formatDelta(d), tone: toneOf(d, p) });
  return [
    { kind: 'stats', items: hero.map((r) => ({ label: r.label, value: r.value(cur), notes: notes(r.key) })) },
    {
      kind: 'table',
      columns: [
        { label: '' },
        { label: 'Value', align: 'right' },
        { label: `vs ${previous}`, align: 'right' },
        ...(vsWeek && lastWeek ? [{ label: `vs ${lastWeek}`, align: 'right' as const }] : []),
      ],
      rows: rest.map((r) => [
        { text: r.label },
        { text: r.value(cur) },
        cell(s.deltas.vsPrevious[r.key], KPI_POLARITY[r.key]),
        ...(vsWeek ? [cell(vsWeek[r.key], KPI_POLARITY[r.key])] : []),
      ]),
    },
    {
      kind: 'paragraph',
      muted: true,
      spans: [
        {
          text: `Volume: ${formatCount(cur.tokens)} tokens · ${formatCount(cur.images)} images · ${formatCount(cur.videoSeconds)} s of video`,
        },
      ],
    },
  ];
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

export function moverBlocks({ s, kind, previous }: Context): Block[] {
  const out: Block[] = [];
  const cost = s.attribution.cost;
  const costDelta = s.deltas.vsPrevious.costUsd;
  out.push({
    kind: 'paragraph',
    spans: [
      { text: 'Cost ', strong: true },
      { text: `${formatSignedUsd(cost.totalChange)} vs ${previous}` },
      { text: ` (${formatDelta(costDelta)})`, tone: toneOf(costDelta, 'up-is-bad') },
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
    const d = s.deltas.vsPrevious.successRate;
    out.push({
      kind: 'paragraph',
      spans: [
        { text: 'Success rate ', strong: true },
        { text: `${formatDelta(d)} vs ${previous}`, tone: toneOf(d, 'up-is-good') },
      ],
    });
    const line = (label: string, cs: readonly Contribution[]): Span[] => [
      { text: `${label}: ` },
      ...cs.flatMap((c, i): Span[] => [
        { text: `${i ? ', ' : ''}${clip(c.key, 40)} ` },
        { text: formatSignedPp(c.change), tone: c.change < 0 ? 'bad' : 'good' },
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
