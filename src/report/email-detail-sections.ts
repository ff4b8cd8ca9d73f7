import type { Block, Cell } from '../messages/email-text.js';
import { formatCount, formatRate, formatUsd, latencyFormat } from '../messages/format.js';
import { dataQualityProblems } from '../metrics/data-quality.js';
import { errorLabel } from '../metrics/snapshot.js';
import { clip, type Context, deltaSpan } from './email-section-context.js';

/** The detail sections of the email digest: operations, top models, users, finance and data quality. */

export function operationsBlocks({ s }: Context): Block[] {
  if (s.operations.length === 0) return [{ kind: 'paragraph', spans: [{ text: 'No traffic in this period.' }] }];
  const p95 = latencyFormat(s.operations.map((o) => o.p95LatencyMs));
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
        { text: formatUsd(o.costUsd), note: deltaSpan(o.deltas.costUsd) },
        { text: formatRate(o.successRate), note: deltaSpan(o.deltas.successRate) },
        { text: p95(o.p95LatencyMs) },
      ]),
    },
  ];
  out.push({
    kind: 'paragraph',
    muted: true,
    spans: [
      {
        text: s.topErrors.length
          ? `Top errors: ${s.topErrors.map((e) => `${clip(errorLabel(e), 40)} ${formatCount(e.failures)} (${formatRate(e.share, 0)})`).join(', ')}`
          : 'No failed requests.',
      },
    ],
  });
  return out;
}

export function modelBlocks({ s }: Context): Block[] {
  const { top, other } = s.models;
  if (top.length === 0) return [{ kind: 'paragraph', spans: [{ text: 'No models were used in this period.' }] }];
  const row = (
    name: string,
    r: { requests: number; costUsd: number; costPerRequest: number | null },
    users: string,
  ): Cell[] => [
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
        // Distinct users of the other models together (not the sum of theirs: users overlap).
        ...(other
          ? [
              row(
                `${formatCount(other.models)} other models`,
                other,
                other.uniqueUsers === null ? '–' : formatCount(other.uniqueUsers),
              ),
            ]
          : []),
      ],
    },
  ];
}

export function userBlocks({ s }: Context): Block[] {
  const u = s.users;
  const out: Block[] = [
    {
      kind: 'paragraph',
      spans: [
        { text: `${formatCount(u.active)} active users`, strong: true },
        {
          text: `: ${formatCount(u.new)} new, ${formatCount(u.returning)} returning${u.unsubscribed ? `, ${formatCount(u.unsubscribed)} without a subscription` : ''}.`,
        },
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

export function financeBlocks({ s }: Context): Block[] {
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
      { text: `${formatUsd(f.forecast.monthEndCostUsd)} (${formatCount(f.forecast.remainingDays)} days to go)` },
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

export function dataQualityBlocks({ s }: Context): Block[] {
  const q = s.dataQuality;
  const problems = dataQualityProblems(q, formatCount).map((p) => p.text);
  const freshness = s.health.components.find((c) => c.key === 'freshness');
  if (q.newestRowAgeMinutes === null) problems.push('No usage data has arrived yet.');
  else if (freshness && freshness.score !== null && freshness.score < 100)
    problems.push(`Data is late: ${freshness.note} (limits: ${freshness.target}).`);
  return problems.length
    ? [{ kind: 'list', items: problems.map((p) => [{ text: p, tone: 'warning' as const }]) }]
    : [{ kind: 'paragraph', spans: [{ text: 'No data-quality problems found.', tone: 'good' }] }];
}
