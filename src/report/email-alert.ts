import type { EmailAttachment } from '../delivery/types.js';
import { documentText, formatInstant, type Block, type Tone } from './email-text.js';
import { joinMarkup, markup } from './html-escape.js';
import { blocksMjml, CONTENT_WIDTH, renderMjmlTemplate } from './mjml-render.js';

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

export interface AlertEmail {
  subject: string;
  html: string;
  text: string;
  attachments: EmailAttachment[];
}

const SPARKLINE_CID = 'sparkline@pulsebot';
const SEVERITY_TONE: Record<AlertEmailInput['severity'], Tone> = { critical: 'bad', warning: 'warning', info: 'neutral' };
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** Display width of a 2× PNG: half its pixel width (read from the IHDR chunk), at most the column. */
function displayWidth(png: Buffer): number {
  const isPng = png.length >= 24 && png.readUInt32BE(0) === 0x89504e47 && png.toString('ascii', 12, 16) === 'IHDR';
  return isPng ? Math.min(CONTENT_WIDTH, Math.max(1, Math.round(png.readUInt32BE(16) / 2))) : CONTENT_WIDTH;
}

export async function buildAlertEmail(alert: AlertEmailInput): Promise<AlertEmail> {
  const title = oneLine(alert.title);
  const since = /^\d{4}-\d\d-\d\dT/.test(alert.since) && !Number.isNaN(Date.parse(alert.since)) ? formatInstant(alert.since, 'UTC') : oneLine(alert.since);
  const firing = alert.state === 'firing';
  const tone: Tone = firing ? SEVERITY_TONE[alert.severity] : 'good';
  const kicker = `${alert.severity} alert · ${alert.state}`;
  const subtitle = firing ? `Firing since ${since}` : `Resolved; it had been firing since ${since}`;

  const blocks: Block[] = [{ kind: 'notice', tone, spans: [{ text: oneLine(alert.summary) }] }];
  if (alert.details.length) blocks.push({ kind: 'table', columns: [{ label: '' }, { label: '' }], rows: alert.details.map(([k, v]) => [{ text: k }, { text: v }]) });
  if (alert.sparkline) blocks.push({ kind: 'image', cid: SPARKLINE_CID, title: 'Recent values', alt: alert.sparkline.alt, width: displayWidth(alert.sparkline.png) });
  const links: Block[] = [
    ...(alert.runbookUrl ? [{ kind: 'button' as const, label: 'Open the runbook', url: alert.runbookUrl }] : []),
    ...(alert.dashboardUrl ? [{ kind: 'button' as const, label: 'Open the dashboard', url: alert.dashboardUrl }] : []),
  ];
  const footer = [`${firing ? 'Firing' : 'Resolved'} alert "${title}" (${alert.severity}), since ${since}.`, 'Sent by pulsebot alerting.'];

  const html = await renderMjmlTemplate('alert', {
    title: markup`${title}`,
    preview: markup`${oneLine(alert.summary)}`,
    kicker: markup`${kicker}`,
    subtitle: markup`${subtitle}`,
    content: joinMarkup([blocksMjml(blocks), blocksMjml(links)]),
    footer: joinMarkup(footer.map((line) => markup`${line}`), '<br />'),
  });
  const text = documentText({ title, subtitle, intro: [], sections: [{ key: 'alert', title: kicker, blocks }], outro: links, footer });
  const subject = `${firing ? `[${alert.severity.toUpperCase()}]` : '[RESOLVED]'} ${title}`;
  const attachments: EmailAttachment[] = alert.sparkline
    ? [{ filename: 'sparkline.png', cid: SPARKLINE_CID, contentType: 'image/png', content: alert.sparkline.png }]
    : [];
  return { subject: [...subject].length > 120 ? `${[...subject].slice(0, 119).join('')}…` : subject, html, text, attachments };
}
