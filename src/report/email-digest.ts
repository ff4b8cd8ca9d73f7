import type { EmailAttachment } from '../delivery/types.js';
import { formatInstant, periodNames } from '../messages/dates.js';
import type { EmailContent } from '../messages/email-payload.js';
import { documentText, type Block } from '../messages/email-text.js';
import { formatCount, formatRate, formatUsd } from '../messages/format.js';
import { joinMarkup, markup } from '../messages/markup.js';
import { blocksMjml, renderMjmlTemplate, sectionMjml } from '../messages/mjml-render.js';
import type { Snapshot } from '../metrics/snapshot.js';
import type { DigestModel } from './digest-model.js';
import { chartCids, digestSections, emailShows } from './email-sections.js';
import { trendOf } from './trend.js';
import { digestSubject, verdictTitle } from './digest-headline.js';
import { verdictBlocks } from './email-headline-sections.js';

/**
 * The email digest: the sections the report lists, in its order, as MJML compiled once per
 * digest (every recipient gets the same HTML; only the envelope differs), a plain-text part
 * with the same numbers, and the charts as inline CID attachments. Pure apart from reading the
 * template files.
 */

// ── Subject, header, footer ────────────────────────────────────────────────────────────────────

const KICKER: Record<Snapshot['report']['period'], string> = {
  day: 'Daily digest',
  week: 'Weekly report',
  month: 'Monthly report',
};
const DEFAULT_NAMES: Record<Snapshot['report']['period'], string> = { day: 'daily', week: 'weekly', month: 'monthly' };
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

function weeklySummary(s: Snapshot, long: string, previous: string): string {
  const k = s.kpis.current;
  if (k.requests === 0) return `In ${long} there was no AI usage traffic.`;
  const d = s.deltas.vsPrevious.costUsd;
  const vs =
    d.kind === 'relative'
      ? trendOf(d) === 'flat'
        ? `, about the same as ${previous}`
        : `, ${formatRate(Math.abs(d.ratio))} ${d.ratio > 0 ? 'more' : 'less'} than ${previous}`
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
  const verdict = verdictBlocks(s);
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
      ? `${verdictTitle(s)} · no traffic`
      : `${verdictTitle(s)} · ${formatUsd(k.costUsd)} · ${formatCount(k.requests)} requests · ${formatRate(k.successRate)} success`;

  const html = await renderMjmlTemplate(summary === null ? 'digest' : 'weekly', {
    title: markup`${title}`,
    preview: markup`${preview}`,
    kicker: markup`${KICKER[kind]}`,
    subtitle: markup`${subtitle}`,
    notices: blocksMjml([...late, ...verdict]),
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
    intro: [
      ...late,
      ...verdict,
      ...(summary === null ? [] : [{ kind: 'paragraph' as const, spans: [{ text: summary }] }]),
    ],
    sections,
    outro: dashboard,
    footer,
  });
  const attachments = model.charts.flatMap((chart, i): EmailAttachment[] => {
    if (!emailShows(model, chart)) return [];
    const cid = cids[i]!;
    return [{ filename: `${cid.replace(/@pulsebot$/, '')}.png`, cid, contentType: 'image/png', content: chart.png }];
  });
  const subject = digestSubject(s, {
    name: s.report.name,
    custom: s.report.name !== DEFAULT_NAMES[kind],
    late: model.late,
  });
  return { subject, html, text, attachments };
}
