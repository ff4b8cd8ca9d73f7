import type { DigestSection } from '../config/schema.js';
import type { EmailAttachment } from '../delivery/types.js';
import { formatInstant, periodNames } from '../messages/dates.js';
import type { EmailContent } from '../messages/email-payload.js';
import {
  documentText,
  type Block,
  type Cell,
  type ContentSection,
  type Span,
  type Tone,
} from '../messages/email-text.js';
import { formatCount, formatMs, formatRate, formatSignedPp, formatSignedUsd, formatUsd } from '../messages/format.js';
import { joinMarkup, markup } from '../messages/markup.js';
import { blocksMjml, renderMjmlTemplate, sectionMjml } from '../messages/mjml-render.js';
import { MIN_HISTORY, type AnomalyKpi } from '../metrics/anomalies.js';
import type { Contribution } from '../metrics/attribution.js';
import type { Delta } from '../metrics/deltas.js';
import type { HealthKey } from '../metrics/health.js';
import type { KpiDeltas, Kpis } from '../metrics/kpis.js';
import type { Snapshot } from '../metrics/snapshot.js';
import type { DigestChart, DigestModel } from './digest-model.js';
import { formatDeltaArrow, KPI_POLARITY, toneOf, trendOf, type Polarity } from './trend.js';

/**
 * The email digest: the sections the report lists, in its order, as MJML compiled once per
 * digest (every recipient gets the same HTML; only the envelope differs), a plain-text part
 * with the same numbers, and the charts as inline CID attachments. Pure apart from reading the
 * template files.
 */

/** Long names (a 300-character model) would stretch tables; the dashboard has the full ones. */
const clip = (s: string, max = 80) => ([...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s);
const share = (c: Contribution) =>
  c.shareOfChange !== null && c.shareOfChange > 0 ? ` (${Math.round(c.shareOfChange * 100)}% of the change)` : '';
const deltaSpan = (d: Delta, polarity: Polarity, suffix = ''): Span => ({
  text: `${formatDeltaArrow(d)}${suffix}`,
  tone: toneOf(d, polarity),
});

interface Context {
  s: Snapshot;
  kind: Snapshot['report']['period'];
  /** "Mon 23 Nov", "week 46", "Oct 2026". */
  previous: string;
  lastWeek: string | null;
}

// ── Sections ───────────────────────────────────────────────────────────────────────────────────

const KPI_ROWS: Array<{ key: keyof KpiDeltas; label: string; value: (k: Kpis) => string }> = [
  { key: 'costUsd', label: 'Cost', value: (k) => formatUsd(k.costUsd) },
  { key: 'requests', label: 'Requests', value: (k) => formatCount(k.requests) },
  {
    key: 'successRate',
    label: 'Success rate',
    value: (k) => (k.successRate === null ? 'no traffic' : formatRate(k.successRate)),
  },
  { key: 'activeUsers', label: 'Active users', value: (k) => formatCount(k.activeUsers) },
  { key: 'avgLatencyMs', label: 'Avg latency', value: (k) => formatMs(k.avgLatencyMs) },
  { key: 'p95LatencyMs', label: 'p95 latency', value: (k) => formatMs(k.p95LatencyMs) },
];

function kpiBlocks({ s, kind, previous, lastWeek }: Context): Block[] {
  const cur = s.kpis.current;
  const vsWeek = s.deltas.vsSameWeekdayLastWeek;
  // "▼ −18.6% vs Mon 23 Nov"; an empty side is said once, in words.
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
  const cell = (d: Delta, p: Polarity): Cell => ({ text: formatDeltaArrow(d), tone: toneOf(d, p) });
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

function healthBlocks({ s }: Context): Block[] {
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
        { text: c.score === null ? 'left out' : `${Math.round(c.score)}`, tone: scoreTone(c.score) },
        { text: c.score === null ? '–' : `${c.contribution.toFixed(1)} of ${c.weight}` },
        { text: `${c.note}; target ${c.target}` },
      ]),
    },
  ];
}

const ANOMALY_KPIS: Record<AnomalyKpi, { label: string; value: (x: number) => string }> = {
  requests: { label: 'Requests', value: formatCount },
  costUsd: { label: 'Cost', value: formatUsd },
  activeUsers: { label: 'Active users', value: formatCount },
  successRate: { label: 'Success rate', value: (x) => formatRate(x) },
  avgLatencyMs: { label: 'Avg latency', value: formatMs },
  p95LatencyMs: { label: 'p95 latency', value: formatMs },
};

function moverBlocks({ s, kind, previous }: Context): Block[] {
  const out: Block[] = [];
  const cost = s.attribution.cost;
  const costDelta = s.deltas.vsPrevious.costUsd;
  out.push({
    kind: 'paragraph',
    spans: [
      { text: 'Cost ', strong: true },
      { text: `${formatSignedUsd(cost.totalChange)} vs ${previous}` },
      { text: ` (${formatDeltaArrow(costDelta)})`, tone: toneOf(costDelta, 'up-is-bad') },
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
        { text: `${formatDeltaArrow(d)} vs ${previous}`, tone: toneOf(d, 'up-is-good') },
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
          text: `${k.label} unusually ${f.direction}: ${k.value(f.value)} against a usual ${k.value(f.mean)} (${f.deviations.toFixed(1)} standard deviations, same weekday of the last ${a.comparableWeeks} weeks)`,
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

function operationsBlocks({ s }: Context): Block[] {
  if (s.operations.length === 0) return [{ kind: 'paragraph', spans: [{ text: 'No traffic in this period.' }] }];
  const out: Block[] = [
    {
      kind: 'table',
      columns: [
        { label: 'Provider · service' },
        { label: 'Requests', align: 'right' },
        { label: 'Cost', align: 'right' },
        { label: 'Success', align: 'right' },
        { label: 'p95', align: 'right' },
      ],
      rows: s.operations.map((o) => [
        { text: `${clip(o.provider, 40)} · ${clip(o.serviceType, 20)}` },
        { text: formatCount(o.requests) },
        { text: formatUsd(o.costUsd), note: deltaSpan(o.deltas.costUsd, 'up-is-bad') },
        { text: formatRate(o.successRate), note: deltaSpan(o.deltas.successRate, 'up-is-good') },
        { text: formatMs(o.p95LatencyMs) },
      ]),
    },
  ];
  out.push({
    kind: 'paragraph',
    muted: true,
    spans: [
      {
        text: s.topErrors.length
          ? `Top errors: ${s.topErrors.map((e) => `${clip(e.errorCode, 40)} ${formatCount(e.failures)} (${Math.round(e.share * 100)}%)`).join(', ')}`
          : 'No failed requests.',
      },
    ],
  });
  return out;
}

function modelBlocks({ s }: Context): Block[] {
  const { top, other } = s.models;
  if (top.length === 0) return [{ kind: 'paragraph', spans: [{ text: 'No models were used in this period.' }] }];
  const row = (name: string, r: (typeof top)[number], users: string): Cell[] => [
    { text: name },
    { text: formatCount(r.requests) },
    { text: formatUsd(r.costUsd) },
    { text: formatUsd(r.costPerRequest) },
    { text: users },
  ];
  return [
    {
      kind: 'table',
      columns: [
        { label: 'Model' },
        { label: 'Requests', align: 'right' },
        { label: 'Cost', align: 'right' },
        { label: 'Per request', align: 'right' },
        { label: 'Users', align: 'right' },
      ],
      rows: [
        ...top.map((m) => row(clip(`${m.provider}/${m.model}`), m, formatCount(m.uniqueUsers))),
        // Distinct users cannot be added across models: the largest single model is a lower bound.
        ...(other
          ? [row(`${formatCount(other.models)} other models`, other, `≥ ${formatCount(other.uniqueUsers)}`)]
          : []),
      ],
    },
  ];
}

function userBlocks({ s }: Context): Block[] {
  const u = s.users;
  const out: Block[] = [
    {
      kind: 'paragraph',
      spans: [
        { text: `${formatCount(u.active)} active users`, strong: true },
        { text: `: ${formatCount(u.new)} new, ${formatCount(u.returning)} returning.` },
      ],
    },
  ];
  if (u.topUsers.length) {
    out.push({
      kind: 'table',
      columns: [
        { label: 'Top users (masked)' },
        { label: 'Requests', align: 'right' },
        { label: 'Cost', align: 'right' },
      ],
      rows: u.topUsers.map((t) => [
        { text: t.user },
        { text: formatCount(t.requests) },
        { text: formatUsd(t.costUsd) },
      ]),
    });
  }
  if (u.byPlan.length) {
    out.push({
      kind: 'table',
      columns: [
        { label: 'Plan' },
        { label: 'Users', align: 'right' },
        { label: 'Requests', align: 'right' },
        { label: 'Cost', align: 'right' },
      ],
      rows: u.byPlan.map((p) => [
        { text: clip(p.plan, 40) },
        { text: formatCount(p.users) },
        { text: formatCount(p.requests) },
        { text: formatUsd(p.costUsd) },
      ]),
    });
  }
  return out;
}

/** "2026-11" → "November 2026" */
const monthName = (ym: string) => {
  const [y, m] = ym.split('-').map(Number);
  return y && m
    ? new Date(Date.UTC(y, m - 1, 15)).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
    : ym;
};

function financeBlocks({ s }: Context): Block[] {
  const f = s.finance;
  const rows: Cell[][] = [
    [{ text: 'MRR' }, { text: `${formatUsd(f.mrrUsd)} (${formatCount(f.activeSubscriptions)} subscriptions)` }],
    [{ text: 'Revenue this period (MRR prorated)' }, { text: formatUsd(f.periodRevenueUsd) }],
    [{ text: 'AI cost this period' }, { text: formatUsd(f.periodCostUsd) }],
    [
      { text: 'Gross margin' },
      {
        text: `${formatUsd(f.grossMarginUsd)}${f.grossMarginRate === null ? '' : ` (${formatRate(f.grossMarginRate)})`}`,
        ...(f.grossMarginUsd < 0 ? { tone: 'bad' as const } : {}),
      },
    ],
    [
      { text: `Month to date (${monthName(f.monthToDate.month)}, ${f.monthToDate.days} days)` },
      { text: formatUsd(f.monthToDate.costUsd) },
    ],
    [
      { text: 'Month-end forecast' },
      { text: `${formatUsd(f.forecast.monthEndCostUsd)} (${f.forecast.remainingDays} days to go)` },
    ],
  ];
  if (f.budget) {
    const over = f.budget.forecastVsBudget > 1;
    rows.push([
      { text: 'Monthly budget' },
      { text: `${formatUsd(f.budget.monthlyUsd)} (share to date ${formatUsd(f.budget.monthToDateShareUsd)})` },
    ]);
    rows.push([
      { text: 'Forecast vs budget' },
      {
        text: `${formatRate(f.budget.forecastVsBudget, 0)}${over ? ' (over budget)' : ''}`,
        tone: over ? 'bad' : 'good',
      },
    ]);
  }
  return [
    { kind: 'table', columns: [{ label: '' }, { label: '', align: 'right' }], rows },
    { kind: 'paragraph', muted: true, spans: [{ text: `Forecast: ${f.forecast.method}.` }] },
  ];
}

function dataQualityBlocks({ s }: Context): Block[] {
  const q = s.dataQuality;
  const problems: string[] = [];
  const count = (n: number, what: string) => {
    if (n > 0) problems.push(`${formatCount(n)} ${what}`);
  };
  count(q.negativeCostRows, 'rows with a negative cost');
  count(q.nullLatencyRows, 'requests without a latency (left out of latency figures)');
  count(q.futureRows, 'rows timestamped in the future');
  count(q.unknownServiceTypeRows, 'requests with an unknown service type');
  count(q.unknownProviderRows, 'requests from an unknown provider');
  const freshness = s.health.components.find((c) => c.key === 'freshness');
  if (q.newestRowAgeMinutes === null) problems.push('No usage data has arrived yet.');
  else if (freshness && freshness.score !== null && freshness.score < 100)
    problems.push(`Data is late: ${freshness.note} (limits: ${freshness.target}).`);
  return problems.length
    ? [{ kind: 'list', items: problems.map((p) => [{ text: p, tone: 'warning' as const }]) }]
    : [{ kind: 'paragraph', spans: [{ text: 'No data-quality problems found.', tone: 'good' }] }];
}

const SECTIONS: Record<DigestSection, { title: string; blocks: (c: Context) => Block[] }> = {
  kpis: { title: 'Key figures', blocks: kpiBlocks },
  health: { title: 'Health', blocks: healthBlocks },
  movers: { title: 'What moved', blocks: moverBlocks },
  operations: { title: 'Operations', blocks: operationsBlocks },
  models: { title: 'Top models', blocks: modelBlocks },
  users: { title: 'Users', blocks: userBlocks },
  finance: { title: 'Finance', blocks: financeBlocks },
  data_quality: { title: 'Data quality', blocks: dataQualityBlocks },
};

/** Where a built-in chart belongs; custom panels and charts of hidden sections go to "Charts". */
const CHART_HOME: Record<string, DigestSection> = {
  daily_cost_by_provider: 'kpis',
  requests_and_success_rate: 'kpis',
  health_components: 'health',
  p95_by_service_type: 'operations',
  provider_comparison: 'operations',
  top_models_by_cost: 'models',
  month_to_date_vs_budget: 'finance',
};

/** Content id of a chart ("daily_cost_by_provider@pulsebot"); the same id twice gets a suffix. */
function chartCids(charts: readonly DigestChart[]): string[] {
  const seen = new Map<string, number>();
  return charts.map((c) => {
    const base = c.id.replace(/[^A-Za-z0-9._-]/g, '_') || 'chart';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `${n === 1 ? base : `${base}-${n}`}@pulsebot`;
  });
}

function digestSections(model: DigestModel, cids: readonly string[]): ContentSection[] {
  const s = model.snapshot;
  const kind = s.report.period;
  const ctx: Context = {
    s,
    kind,
    previous: periodNames(s.previous, kind, s.report.timeZone).short,
    lastWeek: s.sameWeekdayLastWeek ? periodNames(s.sameWeekdayLastWeek, 'day', s.report.timeZone).short : null,
  };
  const sections = model.sections.map(
    (key): ContentSection => ({ key, title: SECTIONS[key].title, blocks: SECTIONS[key].blocks(ctx) }),
  );
  const charts: ContentSection = { key: 'charts', title: 'Charts', blocks: [] };
  model.charts.forEach((chart, i) => {
    const image: Block = {
      kind: 'image',
      cid: cids[i]!,
      title: clip(chart.title),
      alt: clip(chart.alt, 300),
      width: chart.width / 2,
    };
    const home = sections.find((x) => x.key === CHART_HOME[chart.id]) ?? charts;
    home.blocks.push(image);
  });
  for (const f of model.failedCharts) {
    charts.blocks.push({
      kind: 'notice',
      tone: 'warning',
      spans: [{ text: `Chart "${clip(f.id, 60)}" could not be drawn: ${clip(f.error, 200)}` }],
    });
  }
  return charts.blocks.length ? [...sections, charts] : sections;
}

// ── Subject, header, footer ────────────────────────────────────────────────────────────────────

const SUBJECT_MAX = 100;
const KICKER: Record<Snapshot['report']['period'], string> = {
  day: 'Daily digest',
  week: 'Weekly report',
  month: 'Monthly report',
};
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** "Daily AI usage digest · Tue 24 Nov: $67.90 (▼ 18.6%), 97.8% success, health 95/100" */
function digestSubject(s: Snapshot, reportTitle: string, late: boolean): string {
  const when = periodNames(s.period, s.report.period, s.report.timeZone).short;
  const k = s.kpis.current;
  const d = s.deltas.vsPrevious.costUsd;
  const figures =
    k.requests === 0
      ? ['no traffic']
      : [
          `${formatUsd(k.costUsd)}${d.kind === 'relative' && trendOf(d) !== 'flat' ? ` (${d.ratio > 0 ? '▲' : '▼'} ${Math.abs(d.ratio * 100).toFixed(1)}%)` : ''}`,
          `${formatRate(k.successRate)} success`,
        ];
  const health = s.health.score === null ? [] : [`health ${s.health.score}/100`];
  const prefix = late ? '[late] ' : '';
  for (const tail of [[...figures, ...health], figures]) {
    const rest = `${when}: ${tail.join(', ')}`;
    const room = SUBJECT_MAX - prefix.length - rest.length - 3;
    if (room >= 12 || tail === figures) return `${prefix}${clip(oneLine(reportTitle), Math.max(12, room))} · ${rest}`;
  }
  throw new Error('unreachable');
}

function weeklySummary(s: Snapshot, long: string, previous: string): string {
  const k = s.kpis.current;
  if (k.requests === 0) return `In ${long} there was no AI usage traffic.`;
  const d = s.deltas.vsPrevious.costUsd;
  const vs =
    d.kind === 'relative'
      ? trendOf(d) === 'flat'
        ? `, about the same as ${previous}`
        : `, ${(Math.abs(d.ratio) * 100).toFixed(1)}% ${d.ratio > 0 ? 'more' : 'less'} than ${previous}`
      : ` (no traffic in ${previous})`;
  const health = s.health.score === null ? '' : ` Health score ${s.health.score}/100.`;
  return `In ${long}, AI usage cost ${formatUsd(k.costUsd)}${vs}, across ${formatCount(k.requests)} requests from ${formatCount(k.activeUsers)} active users; ${formatRate(k.successRate)} of requests succeeded.${health}`;
}

function footerLines(model: DigestModel): string[] {
  const s = model.snapshot;
  const tz = s.report.timeZone;
  return [
    model.dataAsOf
      ? `Data as of ${formatInstant(model.dataAsOf, tz)} (newest usage row included).`
      : 'No usage data has arrived yet.',
    `Generated ${formatInstant(s.generatedAt, tz)}.`,
    `Period ${s.period.label}: ${formatInstant(s.period.start, tz)} to ${formatInstant(s.period.end, tz)} (time zone ${tz}).`,
    ...(model.late ? ['Sent late: this report missed its scheduled time and was sent when pulsebot caught up.'] : []),
    `Report "${s.report.name}", sent by pulsebot.`,
  ];
}

export async function buildEmailDigest(model: DigestModel, opts: { reportTitle: string }): Promise<EmailContent> {
  const s = model.snapshot;
  const kind = s.report.period;
  const names = periodNames(s.period, kind, s.report.timeZone);
  const previous = periodNames(s.previous, kind, s.report.timeZone).short;
  const cids = chartCids(model.charts);
  const sections = digestSections(model, cids);
  const title = oneLine(opts.reportTitle);
  const subtitle = `${names.long[0]!.toUpperCase()}${names.long.slice(1)} · ${s.report.timeZone}`;
  const late: Block[] = model.late
    ? [
        {
          kind: 'notice',
          tone: 'warning',
          spans: [{ text: 'Sent late: this report missed its scheduled time and was sent when pulsebot caught up.' }],
        },
      ]
    : [];
  const summary = kind === 'day' ? null : weeklySummary(s, names.long, previous);
  const dashboard: Block[] = model.dashboardUrl
    ? [{ kind: 'button', label: 'Open the dashboard', url: model.dashboardUrl }]
    : [];
  const footer = footerLines(model);
  const k = s.kpis.current;
  const preview =
    k.requests === 0
      ? `No traffic · health ${s.health.score ?? '–'}/100`
      : `Cost ${formatUsd(k.costUsd)} ${formatDeltaArrow(s.deltas.vsPrevious.costUsd)} · ${formatCount(k.requests)} requests · ${formatRate(k.successRate)} success · health ${s.health.score ?? '–'}/100`;

  const html = await renderMjmlTemplate(summary === null ? 'digest' : 'weekly', {
    title: markup`${title}`,
    preview: markup`${preview}`,
    kicker: markup`${KICKER[kind]}`,
    subtitle: markup`${subtitle}`,
    notices: blocksMjml(late),
    ...(summary === null ? {} : { summary: markup`${summary}` }),
    sections: joinMarkup(sections.map(sectionMjml)),
    dashboard: blocksMjml(dashboard),
    footer: joinMarkup(
      footer.map((line) => markup`${line}`),
      '<br />',
    ),
  });
  const text = documentText({
    title,
    subtitle,
    intro: [...late, ...(summary === null ? [] : [{ kind: 'paragraph' as const, spans: [{ text: summary }] }])],
    sections,
    outro: dashboard,
    footer,
  });
  const attachments = model.charts.map((chart, i): EmailAttachment => {
    const cid = cids[i]!;
    return { filename: `${cid.replace(/@pulsebot$/, '')}.png`, cid, contentType: 'image/png', content: chart.png };
  });
  return { subject: digestSubject(s, title, model.late), html, text, attachments };
}
