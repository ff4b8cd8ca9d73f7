import type { DigestSection } from '../config/schema.js';
import type { SlackPayload } from '../delivery/types.js';
import { formatCount } from '../messages/format.js';
import { contextBlock, divider, mrkdwn, plainText, type Block } from '../messages/slack-blocks.js';
import { SLACK_LIMITS, escapeSlack, fitEscaped, slackLimitViolations } from '../messages/slack-limits.js';
import { isoWeekOf } from '../metrics/period.js';
import type { Snapshot } from '../metrics/snapshot.js';
import {
  addDays,
  compareLocalDates,
  localDateOf,
  MONTH_NAMES,
  weekdayOf,
  type LocalDate,
} from '../metrics/zoned-time.js';
import { comparisonNote, figureText, keyFigures, verdictTitle } from './digest-headline.js';
import type { DigestModel } from './digest-model.js';
import {
  dataQualityBlocks,
  failedChartBlocks,
  financeBlocks,
  healthBlocks,
  modelsBlocks,
  moversBlocks,
  operationsBlocks,
  usersBlocks,
  type SectionContext,
} from './slack-sections.js';

/**
 * The daily (weekly, monthly) digest as one Slack Block Kit message: header, the configured
 * sections in their configured order, failed charts, a dashboard button and a footer saying
 * how fresh the data is; charts go into the thread as files. Pure.
 *
 * The message always fits Slack's limits: when the full digest does not, it is shortened step by
 * step (fewer model rows, fewer operations rows, then whole sections, lowest priority first) and
 * says so, down to header, key numbers and footer, which always fit.
 */

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const WEEKDAYS_LONG = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type PeriodInfo = Snapshot['period'];

/** The local days a period covers (its end is exclusive). */
function daysOf(p: PeriodInfo, timeZone: string): { first: LocalDate; last: LocalDate } {
  const first = localDateOf(new Date(p.start), timeZone);
  const last = addDays(localDateOf(new Date(p.end), timeZone), -1);
  return { first, last: compareLocalDates(last, first) < 0 ? first : last };
}

const dayMonth = (d: LocalDate) => `${d.day} ${MONTHS[d.month - 1]}`;
const weekdayDay = (d: LocalDate) => `${WEEKDAYS[weekdayOf(d) - 1]} ${dayMonth(d)}`;

/** "Tue 24 Nov 2026", "Week 47, 16–22 Nov 2026", "November 2026". */
function periodTitle(s: Snapshot): string {
  const { first, last } = daysOf(s.period, s.report.timeZone);
  switch (s.report.period) {
    case 'day':
      return `${weekdayDay(first)} ${first.year}`;
    case 'week': {
      const range =
        first.year !== last.year
          ? `${dayMonth(first)} ${first.year} – ${dayMonth(last)} ${last.year}`
          : first.month !== last.month
            ? `${dayMonth(first)} – ${dayMonth(last)} ${last.year}`
            : `${first.day}–${last.day} ${MONTHS[last.month - 1]} ${last.year}`;
      return `Week ${isoWeekOf(first).week}, ${range}`;
    }
    case 'month':
      return `${MONTH_NAMES[first.month - 1]} ${first.year}`;
  }
}

/** A compared period, short: "Mon 23 Nov", "Week 46", "October"; the year only when it differs. */
function comparedLabel(p: PeriodInfo, s: Snapshot): string {
  const tz = s.report.timeZone;
  const year = daysOf(s.period, tz).first.year;
  const { first } = daysOf(p, tz);
  switch (s.report.period) {
    case 'day':
      return `${weekdayDay(first)}${first.year !== year ? ` ${first.year}` : ''}`;
    case 'week': {
      const w = isoWeekOf(first);
      return `Week ${w.week}${w.year !== isoWeekOf(daysOf(s.period, tz).first).year ? ` of ${w.year}` : ''}`;
    }
    case 'month':
      return `${MONTH_NAMES[first.month - 1]}${first.year !== year ? ` ${first.year}` : ''}`;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "25 Nov 2026 00:49" on the wall clock of `timeZone`. */
function formatInstant(iso: string, timeZone: string): string {
  const at = new Date(iso);
  if (!Number.isFinite(at.getTime())) return 'unknown';
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const part = (type: string) => f.formatToParts(at).find((p) => p.type === type)?.value ?? '';
  return `${Number(part('day'))} ${MONTHS[Number(part('month')) - 1]} ${part('year')} ${part('hour')}:${part('minute')}`;
}

// ── Shortening ──────────────────────────────────────────────────────────────────────────────

interface Shape {
  modelRows: number;
  operationsRows: number;
  dropped: ReadonlyArray<DigestSection | 'failed_charts'>;
}

/** The thread reply, most to least complete; the last holds only the note of what was left out. */
const DROP_ORDER: ReadonlyArray<DigestSection> = ['users', 'finance', 'models', 'operations', 'data_quality', 'health'];
const SHAPES: Shape[] = [
  { modelRows: 15, operationsRows: 20, dropped: [] },
  { modelRows: 3, operationsRows: 20, dropped: [] },
  { modelRows: 3, operationsRows: 5, dropped: [] },
  ...DROP_ORDER.map((_, i) => ({ modelRows: 3, operationsRows: 5, dropped: DROP_ORDER.slice(0, i + 1) })),
];

const SECTION_NAMES: Record<DigestSection | 'failed_charts', string> = {
  kpis: 'key numbers',
  health: 'health',
  movers: 'what moved',
  operations: 'operations',
  models: 'models',
  users: 'users',
  finance: 'finance',
  data_quality: 'data quality',
  failed_charts: 'failed charts',
};

/** "Shortened to fit Slack: models beyond 3, users" — only what this digest actually lost. */
function shorteningNote(model: DigestModel, shape: Shape, full: Shape): string | null {
  const s = model.snapshot;
  const cut: string[] = [];
  const shown = (x: DigestSection) => model.sections.includes(x) && !shape.dropped.includes(x);
  if (shown('models') && shape.modelRows < full.modelRows && s.models.top.length > shape.modelRows)
    cut.push(`models beyond ${shape.modelRows}`);
  if (shown('operations') && shape.operationsRows < full.operationsRows && s.operations.length > shape.operationsRows)
    cut.push(`operations beyond ${shape.operationsRows}`);
  for (const d of shape.dropped) {
    if (d === 'failed_charts' ? model.failedCharts.length > 0 : model.sections.includes(d)) cut.push(SECTION_NAMES[d]);
  }
  if (cut.length === 0) return null;
  return `✂️ Shortened to fit Slack's limits: ${cut.join(', ')} left out${model.dashboardUrl ? '; the dashboard has everything' : ''}.`;
}

// ── The message ─────────────────────────────────────────────────────────────────────────────

function headerBlock(model: DigestModel, title: string): Block {
  const suffix = ` · ${escapeSlack(periodTitle(model.snapshot))}${model.late ? ' (sent late)' : ''}`;
  const room = Math.max(1, SLACK_LIMITS.headerText - suffix.length);
  return { type: 'header', text: plainText(`${fitEscaped(title, room)}${suffix}`) };
}

const VERDICT_ITEMS = 8;

/** "✅ All normal · health 95/100", or what needs attention, one line each. */
function verdictBlock(s: Snapshot): Block {
  const items = s.verdict.items;
  const lines = [`*${escapeSlack(verdictTitle(s))}*`];
  for (const item of items.slice(0, VERDICT_ITEMS)) lines.push(`• ${fitEscaped(item.text, 200)}`);
  if (items.length > VERDICT_ITEMS) lines.push(`• and ${formatCount(items.length - VERDICT_ITEMS)} more`);
  return { type: 'section', text: mrkdwn(lines.join('\n')) };
}

/** Slack shows at most 10 fields in a section. */
const MAX_FIELDS = 10;

function keyFigureBlocks(s: Snapshot): Block[] {
  const fields = keyFigures(s)
    .slice(0, MAX_FIELDS)
    .map((f) => mrkdwn(`*${escapeSlack(f.label)}*\n${escapeSlack(figureText(f))}`));
  return [{ type: 'section', fields }, contextBlock([escapeSlack(comparisonNote(s))])];
}

/** Something moved that the reader should see: an item in the verdict, or a noteworthy figure. */
function somethingMoved(s: Snapshot): boolean {
  const t = s.verdict.tones;
  return (
    s.verdict.status === 'attention' ||
    [t.requests, t.costUsd, t.activeUsers, t.successRate, ...Object.values(t.p95ByService)].some((x) => x !== 'neutral')
  );
}

function footerBlock(model: DigestModel): Block {
  const s = model.snapshot;
  const tz = s.report.timeZone;
  const asOf = model.dataAsOf === null ? 'no data yet' : formatInstant(model.dataAsOf, tz);
  const texts = [
    `Data as of ${asOf} · generated ${formatInstant(s.generatedAt, tz)} · period ${formatInstant(s.period.start, tz)} – ${formatInstant(s.period.end, tz)} · times in ${fitEscaped(tz, 60)}`,
  ];
  if (model.charts.length) {
    const n = model.charts.length;
    const titles = model.charts
      .slice(0, 5)
      .map((c) => fitEscaped(c.title, 60))
      .join(', ');
    texts.push(`📊 ${n} ${n === 1 ? 'chart' : 'charts'} in the thread: ${titles}${n > 5 ? `, and ${n - 5} more` : ''}`);
  }
  return contextBlock(texts);
}

function sectionOf(section: DigestSection, ctx: SectionContext): Block[] {
  switch (section) {
    case 'kpis':
    case 'movers':
      return [];
    case 'health':
      return healthBlocks(ctx);
    case 'operations':
      return operationsBlocks(ctx);
    case 'models':
      return modelsBlocks(ctx);
    case 'users':
      return usersBlocks(ctx);
    case 'finance':
      return financeBlocks(ctx);
    case 'data_quality':
      return dataQualityBlocks(ctx);
  }
}

/**
 * The message itself, short enough for a phone: the verdict, the key figures, what moved (only
 * when something did), the dashboard and the footer. The rest goes into the thread.
 */
function mainBlocks(
  model: DigestModel,
  title: string,
  ctx: SectionContext,
  show: { movers: boolean; failed: boolean },
): Block[] {
  const s = model.snapshot;
  const blocks: Block[] = [headerBlock(model, title)];
  if (model.late)
    blocks.push(
      contextBlock(['⏰ Sent late: this digest missed its scheduled time. The figures cover the complete period.']),
    );
  blocks.push(verdictBlock(s));
  if (model.sections.includes('kpis')) blocks.push(...keyFigureBlocks(s));
  if (show.movers && model.sections.includes('movers') && somethingMoved(s)) blocks.push(divider, ...moversBlocks(ctx));
  const failed = show.failed ? failedChartBlocks(model.failedCharts, ctx) : [];
  if (failed.length) blocks.push(...failed);
  const inThread = detailSections(model).map((x) => SECTION_NAMES[x]);
  if (inThread.length) blocks.push(contextBlock([`🧵 In the thread: ${inThread.join(', ')}.`]));
  if (model.dashboardUrl && model.dashboardUrl.length <= SLACK_LIMITS.buttonUrl) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: plainText('Open dashboard'), url: model.dashboardUrl, action_id: 'open_dashboard' },
      ],
    });
  }
  blocks.push(footerBlock(model));
  return blocks;
}

const detailSections = (model: DigestModel) => model.sections.filter((x) => x !== 'kpis' && x !== 'movers');

/** The thread reply: every other configured section, shortened the same way when it must fit. */
function detailBlocks(model: DigestModel, ctx: SectionContext, shape: Shape, note: string | null): Block[] {
  const blocks: Block[] = [];
  const groups = detailSections(model)
    .filter((x) => !shape.dropped.includes(x))
    .map((x) => sectionOf(x, ctx));
  for (const group of groups.filter((g) => g.length > 0)) {
    if (blocks.length) blocks.push(divider);
    blocks.push(...group);
  }
  if (note) blocks.push(contextBlock([note]));
  return blocks;
}

/** The notification line: "Daily AI usage digest Tue 24 Nov 2026: ✅ All normal · health 95/100". */
function fallbackText(model: DigestModel, title: string): string {
  const s = model.snapshot;
  return `${fitEscaped(title, 200)} ${escapeSlack(periodTitle(s))}: ${escapeSlack(verdictTitle(s))}${model.late ? ' (sent late)' : ''}`;
}

function sectionContext(model: DigestModel, shape: Shape): SectionContext {
  const s = model.snapshot;
  const firstDay = daysOf(s.period, s.report.timeZone).first;
  return {
    snapshot: s,
    previousLabel: comparedLabel(s.previous, s),
    lastWeekLabel: s.sameWeekdayLastWeek ? comparedLabel(s.sameWeekdayLastWeek, s) : null,
    weekdayPlural: s.report.period === 'day' ? `${WEEKDAYS_LONG[weekdayOf(firstDay) - 1]}s` : null,
    modelRows: shape.modelRows,
    operationsRows: shape.operationsRows,
    hasDashboard: model.dashboardUrl !== null,
  };
}

/** The digest's Slack message, with the charts as files in its thread. */
export function buildSlackDigest(model: DigestModel, opts: { channel: string; reportTitle: string }): SlackPayload {
  const text = fallbackText(model, opts.reportTitle);
  const ctx = sectionContext(model, SHAPES[0]!);
  let blocks = mainBlocks(model, opts.reportTitle, ctx, { movers: true, failed: true });
  // Hostile data can make what moved or the failed charts too long: they go before the rest.
  if (slackLimitViolations(blocks, text).length > 0)
    blocks = mainBlocks(model, opts.reportTitle, ctx, { movers: false, failed: true });
  if (slackLimitViolations(blocks, text).length > 0)
    blocks = mainBlocks(model, opts.reportTitle, ctx, { movers: false, failed: false });
  return {
    channel: opts.channel,
    text,
    blocks,
    files: model.charts.map((c) => ({ filename: `${c.id}.png`, title: c.title, altText: c.alt, content: c.png })),
  };
}

/**
 * The details as a reply in the message's thread (null when the report lists no other section),
 * shortened step by step until it fits Slack's limits.
 */
export function buildSlackDetails(
  model: DigestModel,
  opts: { channel: string; reportTitle: string },
): Omit<SlackPayload, 'threadOfKey'> | null {
  if (detailSections(model).length === 0) return null;
  const text = `${fitEscaped(opts.reportTitle, 200)} ${escapeSlack(periodTitle(model.snapshot))}: the details`;
  const full = SHAPES[0]!;
  let blocks: Block[] = [];
  for (const shape of SHAPES) {
    const note = shape === full ? null : shorteningNote(model, shape, full);
    blocks = detailBlocks(model, sectionContext(model, shape), shape, note);
    if (slackLimitViolations(blocks, text).length === 0) break;
  }
  return blocks.length ? { channel: opts.channel, text, blocks, files: [] } : null;
}
