import type { OutgoingMessage } from '../delivery/types.js';
import { buildAlertEmail } from '../report/email-alert.js';
import { emailFor, emailMessageId } from '../report/email-digest.js';
import { formatInstant } from '../report/email-text.js';
import { formatMetric, type AlertMessage } from './message.js';
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

export function emailAlertKey(notificationKey: string, recipient: string): string {
  return `${notificationKey}:email:${recipient}`;
}

const alertMessageId = (notificationKey: string, recipient: string) => emailMessageId({ report: 'alert', period: notificationKey, recipient });

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
  for (const c of m.contributors) {
    const amount = rates ? failures(c.count) : formatMetric(opts.metric, c.count);
    const kind = c.kind === 'error_code' ? 'Error' : c.kind === 'service_type' ? 'Service type' : c.kind[0]!.toUpperCase() + c.kind.slice(1);
    rows.push([kind, `${c.name}: ${amount}${c.share === null ? '' : ` (${Math.round(c.share * 100)}%)`}`]);
  }
  rows.push(['Rule', `${m.rule} (${m.severity})`]);
  return rows;
}

export async function alertEmailMessages(m: AlertMessage, recipients: readonly string[], opts: EmailAlertOptions): Promise<OutgoingMessage[]> {
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
    const payload = emailFor(email, { from: opts.from, to, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), messageId: alertMessageId(m.key, to) });
    if (m.replyToKey) {
      const parent = alertMessageId(m.replyToKey, to);
      payload.headers = { ...payload.headers, 'In-Reply-To': parent, References: parent };
    }
    return { channel: 'email', key: emailAlertKey(m.key, to), payload };
  });
}
