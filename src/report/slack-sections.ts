import { formatDelta } from '../messages/format-delta.js';
import {
  formatAge,
  formatCount,
  formatNumber,
  formatRate,
  formatSignedUsd,
  formatUsd,
  latencyFormat,
} from '../messages/format.js';
import { dataQualityProblems } from '../metrics/data-quality.js';
import { mrkdwn, type Block } from '../messages/slack-blocks.js';
import { SLACK_LIMITS, fitEscaped } from '../messages/slack-limits.js';
import { MIN_HISTORY, type AnomalyKpi } from '../metrics/anomalies.js';
import type { Contribution } from '../metrics/attribution.js';
import type { Delta } from '../metrics/deltas.js';
import type { HealthComponent, HealthKey } from '../metrics/health.js';
import { attributionDeltas, errorLabel, type Snapshot } from '../metrics/snapshot.js';
import { MONTH_NAMES } from '../metrics/zoned-time.js';

/**
 * The blocks of each digest section (KPIs, health, what moved, operations, models, users,
 * finance, data quality). Every piece of data is escaped and fitted here (fitEscaped), so each
 * line has a bounded length whatever the names in the data; lists are capped with
 * "… and N more". Pure.
 */

/** What the sections need besides the snapshot: comparison labels and how much room they get. */
export interface SectionContext {
  snapshot: Snapshot;
  /** "Mon 23 Nov", "Week 46", "October". */
  previousLabel: string;
  /** "Tue 17 Nov" (day reports), else null. */
  lastWeekLabel: string | null;
  /** "Tuesdays": what the anomaly baseline consists of (day reports), else null. */
  weekdayPlural: string | null;
  modelRows: number;
  operationsRows: number;
  /** Whether "see the dashboard" can point anywhere. */
  hasDashboard: boolean;
}

/** Escaped lengths: a 300-character model name must not push a row past a readable width. */
const NAME_MAX = 60;
const LABEL_MAX = 40;
const NOTE_MAX = 300;
const ERROR_MAX = 200;

/** Lines packed into as few section blocks as Slack's section text limit allows. */
function sectionBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + 1 + line.length > SLACK_LIMITS.sectionText) {
      blocks.push({ type: 'section', text: mrkdwn(current) });
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push({ type: 'section', text: mrkdwn(current) });
  return blocks;
}

const name = (raw: string) => fitEscaped(raw, NAME_MAX);
const label = (raw: string) => fitEscaped(raw, LABEL_MAX);
const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;
const more = (n: number, what: string, ctx: SectionContext) =>
  `… and ${formatCount(n)} more ${what}${ctx.hasDashboard ? ' (see the dashboard)' : ''}`;

// ── Health ──────────────────────────────────────────────────────────────────────────────────

const HEALTH_TITLES: Record<HealthKey, string> = {
  success_rate: 'Success rate',
  latency: 'Latency',
  cost: 'Cost',
  freshness: 'Freshness',
};

function healthDetail(c: HealthComponent): string {
  const note = fitEscaped(c.note, NOTE_MAX);
  const target = fitEscaped(c.target, NOTE_MAX);
  switch (c.key) {
    case 'success_rate':
      return `${formatRate(c.value)} vs ${target}`;
    case 'cost':
      return `${formatUsd(c.value)} vs ${target} (${note})`;
    case 'latency':
      return `${note} (targets: ${target})`;
    case 'freshness':
      return `${note} (limits: ${target})`;
  }
}

export function healthBlocks(ctx: SectionContext): Block[] {
  const h = ctx.snapshot.health;
  const scored = h.components.filter((c) => c.score !== null && c.weight > 0);
  const totalWeight = scored.reduce((n, c) => n + c.weight, 0);
  const lines = [h.score === null ? '*Health n/a*: no component had data' : `*Health ${h.score}/100*`];
  for (const c of h.components) {
    const title = HEALTH_TITLES[c.key] ?? label(c.key);
    if (c.score === null) {
      lines.push(`• ${title}: no data (${fitEscaped(c.note, NOTE_MAX)})`);
      continue;
    }
    const max = totalWeight > 0 ? (c.weight * 100) / totalWeight : 0;
    lines.push(
      `• ${title} ${formatNumber(c.score)}/100 → ${formatNumber(c.contribution, 1)} of ${formatNumber(max, Number.isInteger(max) ? 0 : 1)} pts · ${healthDetail(c)}`,
    );
  }
  return sectionBlocks(lines);
}

// ── What moved ──────────────────────────────────────────────────────────────────────────────

const ANOMALY_TITLES: Record<AnomalyKpi, string> = {
  requests: 'Requests',
  costUsd: 'Cost',
  activeUsers: 'Active users',
  successRate: 'Success rate',
  avgLatencyMs: 'Avg latency',
  p95LatencyMs: 'p95 latency',
};
/** A flag's value and mean, read side by side: latencies share a unit. */
const anomalyValues = (kpi: AnomalyKpi, value: number, mean: number): [string, string] => {
  const f =
    kpi === 'costUsd'
      ? formatUsd
      : kpi === 'successRate'
        ? (x: number) => formatRate(x)
        : kpi.endsWith('LatencyMs')
          ? latencyFormat([value, mean])
          : formatCount;
  return [f(value), f(mean)];
};

/** "luma/ray-2 −$11.34 (73% of the change)", "ideogram +$3.59 (the other way)". */
function contributions(list: Contribution[], amount: (x: number) => string, withShare: boolean): string {
  return list
    .slice(0, 3)
    .map((c, i) => {
      let share = '';
      if (withShare && c.shareOfChange !== null) {
        share =
          c.shareOfChange < 0
            ? ' (the other way)'
            : ` (${formatRate(c.shareOfChange, 0)}${i === 0 ? ' of the change' : ''})`;
      }
      return `${name(c.key)} ${amount(c.change)}${share}`;
    })
    .join(' · ');
}

/**
 * A success-rate change by segment, said as what each one did to the rate: "overloaded took
 * 3.1 pp · server_error gave back 0.5 pp". A bare "+0.5 pp" next to an error code reads as more
 * of that error.
 */
function rateContributions(list: Contribution[]): string {
  return list
    .slice(0, 3)
    .map((c) => `${name(c.key)} ${c.change < 0 ? 'took' : 'gave back'} ${formatNumber(Math.abs(c.change), 1)} pp`)
    .join(' · ');
}

export function moversBlocks(ctx: SectionContext): Block[] {
  const s = ctx.snapshot;
  const { deltas, weekAgo } = attributionDeltas(s);
  const lines = [`*What moved* vs ${weekAgo ? ctx.lastWeekLabel : ctx.previousLabel}`];
  const cost = s.attribution.cost;
  const costDelta = deltas.costUsd;
  const pct = costDelta.kind === 'relative' || costDelta.kind === 'no-traffic' ? ` (${formatDelta(costDelta)})` : '';
  lines.push(cost.totalChange === 0 ? '*Cost* unchanged' : `*Cost* ${formatSignedUsd(cost.totalChange)}${pct}`);
  if (cost.byModel.length) lines.push(`• by model: ${contributions(cost.byModel, formatSignedUsd, true)}`);
  if (cost.byProvider.length) lines.push(`• by provider: ${contributions(cost.byProvider, formatSignedUsd, true)}`);

  const rate = s.attribution.successRate;
  if (rate) {
    lines.push(`*Success rate* ${formatDelta({ kind: 'points', points: rate.totalChange })}`);
    if (rate.byErrorCode?.length) lines.push(`• by error code: ${rateContributions(rate.byErrorCode)}`);
    if (rate.byProvider.length) lines.push(`• by provider: ${rateContributions(rate.byProvider)}`);
  }
  if (s.topErrors.length) {
    const shown = s.topErrors.map(
      (e, i) =>
        `${name(errorLabel(e))} ${formatCount(e.failures)} (${formatRate(e.share, 0)}${i === 0 ? ' of failures' : ''})`,
    );
    lines.push(`*Top errors*: ${shown.join(' · ')}`);
  }

  const a = s.anomalies;
  if (ctx.weekdayPlural) {
    const baseline = `the last ${a.comparableWeeks} ${ctx.weekdayPlural}`;
    if (a.comparableWeeks < MIN_HISTORY) {
      lines.push(
        `*Anomalies*: not checked, ${a.comparableWeeks} comparable ${ctx.weekdayPlural} with traffic (${MIN_HISTORY} needed)`,
      );
    } else if (a.flags.length === 0) {
      lines.push(`*Anomalies*: none against ${baseline}`);
    }
    // One flag per KPI at most; the cap only guards against a malformed snapshot.
    for (const f of a.flags.slice(0, 6)) {
      const [value, mean] = anomalyValues(f.kpi, f.value, f.mean);
      lines.push(
        `⚠️ ${ANOMALY_TITLES[f.kpi] ?? label(f.kpi)} ${formatNumber(f.deviations, 1)}σ ${f.direction === 'high' ? 'above' : 'below'} ${baseline} (${value} vs a mean of ${mean})`,
      );
    }
  }
  return sectionBlocks(lines);
}

// ── Operations and models ───────────────────────────────────────────────────────────────────

const change = (d: Delta) => formatDelta(d);

export function operationsBlocks(ctx: SectionContext): Block[] {
  const rows = ctx.snapshot.operations;
  const lines = [`*Operations* by provider and service type · changes vs ${ctx.previousLabel}`];
  if (rows.length === 0) lines.push('No traffic in this period.');
  const shown = rows.slice(0, ctx.operationsRows);
  // The rows are read as a column: one unit for every p95.
  const p95Text = latencyFormat(shown.map((o) => o.p95LatencyMs));
  for (const o of shown) {
    const success =
      o.successRate === null ? 'success n/a' : `success ${formatRate(o.successRate)} (${change(o.deltas.successRate)})`;
    const p95 =
      o.p95LatencyMs === null ? 'p95 no data' : `p95 ${p95Text(o.p95LatencyMs)} (${change(o.deltas.p95LatencyMs)})`;
    lines.push(
      `• *${name(o.provider)} · ${label(o.serviceType)}*: ${plural(o.requests, 'request', 'requests')} (${change(o.deltas.requests)}) · ${success} · ${p95} · ${formatUsd(o.costUsd)} (${change(o.deltas.costUsd)})`,
    );
  }
  if (rows.length > ctx.operationsRows) lines.push(more(rows.length - ctx.operationsRows, 'rows', ctx));
  return sectionBlocks(lines);
}

const perRequest = (x: number | null) => (x === null ? 'no requests' : `${formatUsd(x)}/request`);

export function modelsBlocks(ctx: SectionContext): Block[] {
  const { top, other } = ctx.snapshot.models;
  const lines = ['*Top models by cost*'];
  if (top.length === 0) lines.push('No model was used in this period.');
  for (const m of top.slice(0, ctx.modelRows)) {
    lines.push(
      `• *${name(`${m.provider}/${m.model}`)}* (${label(m.serviceType)}): ${formatUsd(m.costUsd)} · ${plural(m.requests, 'request', 'requests')} · ${perRequest(m.costPerRequest)} · ${plural(m.uniqueUsers, 'user', 'users')}`,
    );
  }
  // Rows cut here join "other", so the line still accounts for every model's cost.
  const hidden = top.slice(ctx.modelRows);
  const count = hidden.length + (other?.models ?? 0);
  if (count > 0) {
    const cost = hidden.reduce((n, m) => n + m.costUsd, other?.costUsd ?? 0);
    const requests = hidden.reduce((n, m) => n + m.requests, other?.requests ?? 0);
    const rest = `${formatUsd(cost)} · ${plural(requests, 'request', 'requests')} · ${perRequest(requests > 0 ? cost / requests : null)}`;
    lines.push(
      hidden.length > 0
        ? `${more(count, `models: ${rest}`, ctx)}`
        : `• other ${formatCount(count)} ${count === 1 ? 'model' : 'models'}: ${rest}`,
    );
  }
  return sectionBlocks(lines);
}

// ── Users and finance ───────────────────────────────────────────────────────────────────────

export function usersBlocks(ctx: SectionContext): Block[] {
  const u = ctx.snapshot.users;
  const lines = [
    `*Users* ${formatCount(u.active)} active · ${formatCount(u.new)} new · ${formatCount(u.returning)} returning${u.unsubscribed ? ` · ${formatCount(u.unsubscribed)} without a subscription` : ''}`,
  ];
  if (u.topUsers.length) {
    lines.push(
      `Top users by cost: ${u.topUsers
        .slice(0, 5)
        .map((t) => `${label(t.user)} ${formatUsd(t.costUsd)} (${plural(t.requests, 'request', 'requests')})`)
        .join(' · ')}`,
    );
  }
  if (u.byPlan.length) lines.push('Spend per plan:');
  for (const p of u.byPlan.slice(0, 8)) {
    const users = p.plan === 'anonymous' ? 'no user id' : plural(p.users, 'user', 'users');
    lines.push(`• ${label(p.plan)}: ${formatUsd(p.costUsd)} · ${users} · ${plural(p.requests, 'request', 'requests')}`);
  }
  if (u.byPlan.length > 8) lines.push(more(u.byPlan.length - 8, 'plans', ctx));
  return sectionBlocks(lines);
}

export function financeBlocks(ctx: SectionContext): Block[] {
  const f = ctx.snapshot.finance;
  const month = MONTH_NAMES[Number(f.monthToDate.month.slice(5, 7)) - 1] ?? label(f.monthToDate.month);
  const margin = f.grossMarginRate === null ? 'no revenue' : formatRate(f.grossMarginRate);
  const lines = [
    '*Finance*',
    `MRR ${formatUsd(f.mrrUsd)} from ${plural(f.activeSubscriptions, 'subscription', 'subscriptions')}`,
    `This period: revenue ${formatUsd(f.periodRevenueUsd)} · cost ${formatUsd(f.periodCostUsd)} · gross margin ${formatUsd(f.grossMarginUsd)} (${margin})`,
    `${month} to date (${f.monthToDate.days} days): ${formatUsd(f.monthToDate.costUsd)} · month-end forecast ${formatUsd(f.forecast.monthEndCostUsd)} (${formatCount(f.forecast.remainingDays)} days left)`,
    f.budget
      ? `Budget ${formatUsd(f.budget.monthlyUsd)} a month: forecast at ${formatRate(f.budget.forecastVsBudget, 0)} of it · share to date ${formatUsd(f.budget.monthToDateShareUsd)}${f.budget.forecastVsBudget > 1 ? ' ⚠️' : ''}`
      : 'No monthly budget set',
  ];
  return sectionBlocks(lines);
}

// ── Data quality and failed charts ──────────────────────────────────────────────────────────

export function dataQualityBlocks(ctx: SectionContext): Block[] {
  const q = ctx.snapshot.dataQuality;
  const problems = dataQualityProblems(q, formatCount).map((p) => p.text);
  const ages = [
    q.newestRowAgeMinutes === null ? 'no data has arrived' : `newest row ${formatAge(q.newestRowAgeMinutes)} old`,
    q.lastRefreshAgeMinutes === null ? 'never refreshed' : `refreshed ${formatAge(q.lastRefreshAgeMinutes)} ago`,
  ].join(', ');
  // The health score's freshness component knows the configured limits; under 100 means past them.
  const freshness = ctx.snapshot.health.components.find((c) => c.key === 'freshness');
  const stale = q.newestRowAgeMinutes === null || q.lastRefreshAgeMinutes === null || (freshness?.score ?? 100) < 100;
  if (stale)
    problems.push(`stale data: ${ages}${freshness ? ` (limits: ${fitEscaped(freshness.target, NOTE_MAX)})` : ''}`);
  if (problems.length === 0) return sectionBlocks([`✓ *Data quality*: no issues · ${ages}`]);
  return sectionBlocks(['*Data quality*', ...problems.map((p) => `⚠️ ${p.charAt(0).toUpperCase()}${p.slice(1)}`)]);
}

export function failedChartBlocks(failed: ReadonlyArray<{ id: string; error: string }>, ctx: SectionContext): Block[] {
  if (failed.length === 0) return [];
  const lines = failed
    .slice(0, 5)
    .map((f) => `⚠️ Chart ${name(f.id)} could not be drawn: ${fitEscaped(f.error, ERROR_MAX)}`);
  if (failed.length > 5) lines.push(more(failed.length - 5, 'charts failed', ctx));
  return sectionBlocks(lines);
}
