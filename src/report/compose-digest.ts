import type { PulsebotConfig, ReportConfig } from '../config/schema.js';
import type { EmailPayload, OutgoingMessage, SlackPayload } from '../delivery/types.js';
import { emailFor, emailMessageId } from '../messages/email-payload.js';
import type { DigestModel } from './digest-model.js';
import { buildEmailDigest } from './email-digest.js';
import { buildSlackDetails, buildSlackDigest } from './slack-digest.js';

/**
 * One digest → every message it produces: one Slack message per channel and one email per
 * recipient, each under the outbox key that makes it unique (report × period × destination).
 * The email HTML is rendered once and shared by all recipients (mjml is the slow part).
 */
export interface ComposedDigest {
  title: string;
  messages: OutgoingMessage[];
  /** The message per channel; `slackDetails` its reply in the thread, per channel, when there is one. */
  slack: SlackPayload[];
  slackDetails: SlackPayload[];
  email: { subject: string; html: string; text: string } | null;
}

const DEFAULT_TITLES: Record<ReportConfig['period'], string> = {
  day: 'Daily AI usage digest',
  week: 'Weekly AI usage report',
  month: 'Monthly AI usage report',
};
const DEFAULT_NAMES: Record<ReportConfig['period'], string> = { day: 'daily', week: 'weekly', month: 'monthly' };

export function reportTitle(name: string, report: Pick<ReportConfig, 'period'>): string {
  const base = DEFAULT_TITLES[report.period];
  return name === DEFAULT_NAMES[report.period] ? base : `${base} (${name})`;
}

export function reportKey(name: string, periodLabel: string, channel: 'slack' | 'email', destination: string): string {
  return `report:${name}:${periodLabel}:${channel}:${channel === 'email' ? destination.toLowerCase() : destination}`;
}

export async function composeDigest(
  model: DigestModel,
  opts: { name: string; report: ReportConfig; email: PulsebotConfig['email'] },
): Promise<ComposedDigest> {
  const title = reportTitle(opts.name, opts.report);
  const period = model.snapshot.period.label;
  const slack = opts.report.routes.slack.map((channel) => buildSlackDigest(model, { channel, reportTitle: title }));
  const messages: OutgoingMessage[] = [];
  const slackDetails: SlackPayload[] = [];
  for (const payload of slack) {
    const key = reportKey(opts.name, period, 'slack', payload.channel);
    messages.push({ channel: 'slack', key, payload });
    const details = buildSlackDetails(model, { channel: payload.channel, reportTitle: title });
    if (details) {
      // A reply in the message's thread: the outbox sends it once the message itself is out.
      const reply: SlackPayload = { ...details, threadOfKey: key, onlyInThread: true };
      slackDetails.push(reply);
      messages.push({ channel: 'slack', key: `${key}:details`, payload: reply });
    }
  }
  let email: ComposedDigest['email'] = null;
  const recipients = [...new Set(opts.report.routes.email.map((r) => r.toLowerCase()))];
  if (recipients.length > 0) {
    const digest = await buildEmailDigest(model, { reportTitle: title });
    email = { subject: digest.subject, html: digest.html, text: digest.text };
    for (const to of recipients) {
      const payload: EmailPayload = emailFor(digest, {
        from: opts.email.from,
        to,
        ...(opts.email.reply_to ? { replyTo: opts.email.reply_to } : {}),
        messageId: emailMessageId({ report: opts.name, period, recipient: to }),
      });
      messages.push({ channel: 'email', key: reportKey(opts.name, period, 'email', to), payload });
    }
  }
  return { title, messages, slack, slackDetails, email };
}
