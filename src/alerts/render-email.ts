import type { EmailAttachment, OutgoingMessage } from '../delivery/types.js';
import { formatInstant } from '../messages/dates.js';
import { formatRate } from '../messages/format.js';
import { emailFor, emailMessageId, type EmailContent } from '../messages/email-payload.js';
import { documentText, type Block, type Tone } from '../messages/email-text.js';
import { joinMarkup, markup } from '../messages/markup.js';
import { blocksMjml, CONTENT_WIDTH, renderMjmlTemplate } from '../messages/mjml-render.js';
import { metricFormat, type AlertMessage } from './message.js';
import type { AlertMetric } from './rules.js';
import { failures } from './render-slack.js';
import type { RenderedSparkline } from './sparkline.js';

/**
 * An alert as emails, one per recipient, over templates/alert.mjml (buildAlertEmail). The
 * Message-ID is derived from the notification and the recipient, so a retry or a second
 * replica sends the same message; repeats and the resolve name the firing email in
 * In-Reply-To, so mail clients thread them under it.
 */

export interface EmailAlertOptions {
  from: string;
  replyTo: string | null;
  /** alerts.timezone: the times in the message. */
  timeZone: string;
  metric: AlertMetric;
  sparkline?: RenderedSparkline | null;
}

function emailAlertKey(notificationKey: string, recipient: string): string {
  return `${notificationKey}:email:${recipient}`;
}

const alertMessageId = (notificationKey: string, recipient: string) =>
  emailMessageId({ report: 'alert', period: notificationKey, recipient });

function details(m: AlertMessage, opts: EmailAlertOptions): Array<[string, string]> {
  const at = (d: Date) => formatInstant(d.toISOString(), opts.timeZone);
  const rates = opts.metric === 'success_rate' || opts.metric === 'error_rate';
  const rows: Array<[string, string]> = [
    ['What', m.what],
    ['Where', m.where.label],
    ['How bad', m.howBad.comparison],
    ['Requests in the window', m.howBad.requestsText],
    ['Breaching since', at(m.since)],
    ['Firing since', at(m.firingSince)],
  ];
  if (m.resolved) rows.push(['Resolved', `${at(m.resolved.at)}, after ${m.resolved.durationText}`]);
  else if (m.kind === 'repeat') rows.push(['Firing for', m.firingForText]);
  const fmt = metricFormat(
    opts.metric,
    m.contributors.map((c) => c.count),
  );
  for (const c of m.contributors) {
    const amount = rates ? failures(c.count) : fmt(c.count);
    const kind =
      c.kind === 'error_code'
        ? 'Error'
        : c.kind === 'service_type'
          ? 'Service type'
          : c.kind[0]!.toUpperCase() + c.kind.slice(1);
    rows.push([kind, `${c.name}: ${amount}${c.share === null ? '' : ` (${formatRate(c.share, 0)})`}`]);
  }
  rows.push(['Rule', `${m.rule} (${m.severity})`]);
  return rows;
}

export async function alertEmailMessages(
  m: AlertMessage,
  recipients: readonly string[],
  opts: EmailAlertOptions,
): Promise<OutgoingMessage[]> {
  if (recipients.length === 0) return [];
  // Rendered once: every recipient gets the same content; only the envelope differs.
  const email = await buildAlertEmail({
    title: m.title,
    severity: m.severity,
    state: m.kind === 'resolved' ? 'resolved' : 'firing',
    summary: `${m.what} — ${m.where.label}: ${m.howBad.comparison}`,
    details: details(m, opts),
    ...(opts.sparkline ? { sparkline: opts.sparkline } : {}),
    runbookUrl: m.links.runbook,
    dashboardUrl: m.links.dashboard,
    since: formatInstant(m.firingSince.toISOString(), opts.timeZone),
  });
  return recipients.map((to) => {
    const payload = emailFor(email, {
      from: opts.from,
      to,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
      messageId: alertMessageId(m.key, to),
    });
    if (m.replyToKey) {
      const parent = alertMessageId(m.replyToKey, to);
      payload.headers = { ...payload.headers, 'In-Reply-To': parent, References: parent };
    }
    return { channel: 'email', key: emailAlertKey(m.key, to), payload };
  });
}

// ── The alert email's layout ───────────────────────────────────────────────────────────────────

/**
 * The email of one alert transition (firing or resolved), from templates/alert.mjml: what is
 * wrong, how bad, since when, and where to look (runbook, dashboard). Same escaping and the same
 * blocks as the digest; a sparkline travels as an inline CID image.
 */
export interface AlertEmailInput {
  title: string;
  severity: 'critical' | 'warning' | 'info';
  state: 'firing' | 'resolved';
  summary: string;
  details: Array<[string, string]>;
  sparkline?: { png: Buffer; alt: string };
  runbookUrl: string | null;
  dashboardUrl: string | null;
  /** When the alert started firing: an ISO instant (shown in UTC) or text shown as is. */
  since: string;
}

const SPARKLINE_CID = 'sparkline@pulsebot';
const SEVERITY_TONE: Record<AlertEmailInput['severity'], Tone> = {
  critical: 'bad',
  warning: 'warning',
  info: 'neutral',
};
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** Display width of a 2× PNG: half its pixel width (read from the IHDR chunk), at most the column. */
function displayWidth(png: Buffer): number {
  const isPng = png.length >= 24 && png.readUInt32BE(0) === 0x89504e47 && png.toString('ascii', 12, 16) === 'IHDR';
  return isPng ? Math.min(CONTENT_WIDTH, Math.max(1, Math.round(png.readUInt32BE(16) / 2))) : CONTENT_WIDTH;
}

export async function buildAlertEmail(alert: AlertEmailInput): Promise<EmailContent> {
  const title = oneLine(alert.title);
  const since =
    /^\d{4}-\d\d-\d\dT/.test(alert.since) && !Number.isNaN(Date.parse(alert.since))
      ? formatInstant(alert.since, 'UTC')
      : oneLine(alert.since);
  const firing = alert.state === 'firing';
  const tone: Tone = firing ? SEVERITY_TONE[alert.severity] : 'good';
  const kicker = `${alert.severity} alert · ${alert.state}`;
  const subtitle = firing ? `Firing since ${since}` : `Resolved; it had been firing since ${since}`;

  const blocks: Block[] = [{ kind: 'notice', tone, spans: [{ text: oneLine(alert.summary) }] }];
  if (alert.details.length)
    blocks.push({
      kind: 'table',
      columns: [{ label: '' }, { label: '' }],
      rows: alert.details.map(([k, v]) => [{ text: k }, { text: v }]),
    });
  if (alert.sparkline)
    blocks.push({
      kind: 'image',
      cid: SPARKLINE_CID,
      title: 'Recent values',
      alt: alert.sparkline.alt,
      width: displayWidth(alert.sparkline.png),
    });
  const links: Block[] = [
    ...(alert.runbookUrl ? [{ kind: 'button' as const, label: 'Open the runbook', url: alert.runbookUrl }] : []),
    ...(alert.dashboardUrl ? [{ kind: 'button' as const, label: 'Open the dashboard', url: alert.dashboardUrl }] : []),
  ];
  const footer = [
    `${firing ? 'Firing' : 'Resolved'} alert "${title}" (${alert.severity}), since ${since}.`,
    'Sent by pulsebot alerting.',
  ];

  const html = await renderMjmlTemplate('alert', {
    title: markup`${title}`,
    preview: markup`${oneLine(alert.summary)}`,
    kicker: markup`${kicker}`,
    subtitle: markup`${subtitle}`,
    content: joinMarkup([blocksMjml(blocks), blocksMjml(links)]),
    footer: joinMarkup(
      footer.map((line) => markup`${line}`),
      '<br />',
    ),
  });
  const text = documentText({
    title,
    subtitle,
    intro: [],
    sections: [{ key: 'alert', title: kicker, blocks }],
    outro: links,
    footer,
  });
  const subject = `${firing ? `[${alert.severity.toUpperCase()}]` : '[RESOLVED]'} ${title}`;
  const attachments: EmailAttachment[] = alert.sparkline
    ? [{ filename: 'sparkline.png', cid: SPARKLINE_CID, contentType: 'image/png', content: alert.sparkline.png }]
    : [];
  return {
    subject: [...subject].length > 120 ? `${[...subject].slice(0, 119).join('')}…` : subject,
    html,
    text,
    attachments,
  };
}
