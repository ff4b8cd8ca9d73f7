import { periodNames } from '../messages/dates.js';
import { formatDelta } from '../messages/format-delta.js';
import { formatCount, formatMs, formatRate, formatUsd } from '../messages/format.js';
import { relativeDelta, type Delta } from '../metrics/deltas.js';
import type { KpiDeltas } from '../metrics/kpis.js';
import type { Snapshot } from '../metrics/snapshot.js';
import type { Tone } from '../metrics/verdict.js';

/**
 * What every digest leads with, the same in Slack, the email and its plain text: the verdict,
 * and a strip of key figures, each with its change against what the period is judged by (the
 * usual same weekday for a day, the previous week or month) and a tone that is not neutral only
 * when the change is noteworthy (metrics/verdict.ts). Pure.
 */

export interface KeyFigure {
  label: string;
  value: string;
  /** "▲ 4.2%", "no change"; null when there is nothing to compare with. */
  change: string | null;
  tone: Tone;
}

/** Deltas against the usual when there is one (day reports with history), else the previous period. */
function headlineComparison(s: Snapshot): { deltas: KpiDeltas; label: string } {
  if (s.deltas.vsUsual && s.report.period === 'day') return { deltas: s.deltas.vsUsual, label: s.usual.label };
  return { deltas: s.deltas.vsPrevious, label: periodNames(s.previous, s.report.period, s.report.timeZone).short };
}

const changeOf = (d: Delta) => (d.kind === 'relative' || d.kind === 'points' ? formatDelta(d) : null);

export function keyFigures(s: Snapshot): KeyFigure[] {
  const k = s.kpis.current;
  if (k.requests === 0) {
    return [{ label: 'Requests', value: '0 · no traffic', change: null, tone: s.verdict.tones.requests }];
  }
  const { deltas } = headlineComparison(s);
  const t = s.verdict.tones;
  const figures: KeyFigure[] = [
    { label: 'Requests', value: formatCount(k.requests), change: changeOf(deltas.requests), tone: t.requests },
    { label: 'Success', value: formatRate(k.successRate), change: changeOf(deltas.successRate), tone: t.successRate },
    { label: 'Cost', value: formatUsd(k.costUsd), change: changeOf(deltas.costUsd), tone: t.costUsd },
    {
      label: 'Active users',
      value: formatCount(k.activeUsers),
      change: changeOf(deltas.activeUsers),
      tone: t.activeUsers,
    },
  ];
  // Latency per service type: one p95 over text, images and video would move with the mix.
  const byPrevious = s.report.period !== 'day' || !s.deltas.vsUsual;
  for (const l of s.latencyByService) {
    if (l.p95Ms === null) continue;
    const before = byPrevious ? null : l.usualP95Ms;
    figures.push({
      label: `p95 ${l.serviceType}`,
      value: formatMs(l.p95Ms),
      change: before === null ? null : changeOf(relativeDelta(l.p95Ms, before)),
      tone: l.tone,
    });
  }
  return figures;
}

const MARK: Record<Tone, string> = { good: '🟢 ', bad: '🔴 ', neutral: '' };

/** "1,408 · ▼ 2.1%", with 🔴/🟢 in front only when the change is noteworthy. */
export const figureText = (f: KeyFigure) => `${MARK[f.tone]}${f.value}${f.change ? ` · ${f.change}` : ''}`;

/** "✅ All normal · health 95/100", "🔴 2 things need attention · health 71/100". */
export function verdictTitle(s: Snapshot): string {
  const health = s.health.score === null ? 'health n/a' : `health ${s.health.score}/100`;
  return `${s.verdict.status === 'normal' ? '✅' : '🔴'} ${s.verdict.headline} · ${health}`;
}

/** How changes are compared, in words: "vs the usual Sunday (mean of 4)". */
export function comparisonNote(s: Snapshot): string {
  const { label } = headlineComparison(s);
  return s.report.period === 'day' && s.deltas.vsUsual
    ? `changes vs ${label} (mean of the last ${s.usual.periods} with traffic)`
    : `changes vs ${label}`;
}

const SUBJECT_MAX = 60;
const length = (text: string) => [...text].length;

/**
 * The email subject: the verdict and the key numbers in at most 60 characters, so a phone's inbox
 * shows all of it: "✅ All normal · $49.11 · 99.2% ok · Sun 6 Dec", "🔴 anthropic success
 * 93.7% +1 · Tue 24 Nov". Longer parts are dropped before anything is cut.
 */
export function digestSubject(s: Snapshot, opts: { name: string; custom: boolean; late: boolean }): string {
  const when = periodNames(s.period, s.report.period, s.report.timeZone).short;
  const k = s.kpis.current;
  const prefix = `${opts.late ? '[late] ' : ''}${opts.custom ? `[${opts.name}] ` : ''}`;
  const items = s.verdict.items;
  const lead =
    s.verdict.status === 'normal'
      ? '✅ All normal'
      : `🔴 ${items[0]!.short}${items.length > 1 ? ` +${items.length - 1}` : ''}`;
  const figures = k.requests === 0 ? ['no traffic'] : [formatUsd(k.costUsd), `${formatRate(k.successRate)} ok`];
  for (const tail of [figures, figures.slice(0, 1), []]) {
    const subject = `${prefix}${[lead, ...tail, when].join(' · ')}`;
    if (length(subject) <= SUBJECT_MAX) return subject;
  }
  const rest = ` · ${when}`;
  const room = SUBJECT_MAX - length(prefix) - length(rest) - 1;
  return `${prefix}${[...lead].slice(0, room).join('')}…${rest}`;
}
