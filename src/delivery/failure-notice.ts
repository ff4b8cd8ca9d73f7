import { createHash } from 'node:crypto';
import { escapeHtml } from '../messages/markup.js';
import { escapeSlack } from '../messages/slack-limits.js';
import { redact } from '../redact.js';
import type { DeadMessage } from './outbox.js';
import type { EmailPayload, OutgoingMessage, SlackPayload } from './types.js';

/**
 * The message that says another message could not be delivered. It travels through the other
 * channel (a Slack failure by email, an email failure in Slack): the channel that failed is the
 * one least likely to carry the news. Built by hand and kept plain, so it cannot fail for the
 * reasons a rich digest might.
 */

export interface FailureRoutes {
  slack: string[];
  email: string[];
}

const MAX_ERROR_CHARS = 500;
const MAX_SUMMARY_CHARS = 200;

/**
 * Notices for the routes of the other channel(s); empty when they have no route. A PagerDuty or
 * webhook failure goes to both Slack and email failure routes.
 */
export function failureNotices(dead: DeadMessage, routes: FailureRoutes, opts: { from: string }): OutgoingMessage[] {
  const email =
    dead.channel === 'email'
      ? []
      : routes.email.map((to) => ({
          channel: 'email' as const,
          key: noticeKey(dead, 'email', to),
          payload: emailNotice(dead, to, opts.from),
        }));
  const slack =
    dead.channel === 'slack'
      ? []
      : routes.slack.map((channel) => ({
          channel: 'slack' as const,
          key: noticeKey(dead, 'slack', channel),
          payload: slackNotice(dead, channel),
        }));
  return [...email, ...slack];
}

/** The failure channels a dead message of `channel` is reported through. */
export function failureChannelsOf(channel: DeadMessage['channel']): Array<'slack' | 'email'> {
  return channel === 'slack' ? ['email'] : channel === 'email' ? ['slack'] : ['email', 'slack'];
}

/** The notice written to the file outbox when there is no route to send it through. */
export function fileFailureNotice(dead: DeadMessage, opts: { from: string }): { key: string; payload: EmailPayload } {
  return {
    key: `failure:${dead.key}:attempt:${dead.attempts}`,
    payload: emailNotice(dead, '(no failure route configured)', opts.from),
  };
}

/**
 * One notice per failed message, time it was given up, and route: the outbox's unique key makes
 * it once, and the attempt count tells a resent message's new failure from its first one.
 */
function noticeKey(dead: DeadMessage, channel: 'slack' | 'email', destination: string): string {
  return `failure:${dead.key}:attempt:${dead.attempts}:${channel}:${destination}`;
}

function what(dead: DeadMessage): string {
  switch (dead.kind) {
    case 'report':
      return 'a report';
    case 'alert':
      return 'an alert';
    case 'failure_notice':
      return 'a failure notice';
  }
}

function where(dead: DeadMessage): string {
  switch (dead.channel) {
    case 'slack':
      return `Slack ${dead.destination}`;
    case 'email':
      return `email to ${dead.destination}`;
    case 'pagerduty':
      return dead.destination;
    case 'webhook':
      return `webhook ${dead.destination}`;
  }
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

function facts(dead: DeadMessage): Array<[string, string]> {
  // The error may quote what a server echoed back (an SMTP AUTH line): redacted before it is sent.
  return [
    ['What', dead.summary ? clip(redact(dead.summary), MAX_SUMMARY_CHARS) : `(${dead.kind})`],
    ['Where', where(dead)],
    ['Key', dead.key],
    ['Attempts', String(dead.attempts)],
    ['Last error', clip(redact(dead.lastError ?? 'unknown'), MAX_ERROR_CHARS)],
    ['Gave up at', dead.deadAt.toISOString()],
  ];
}

const ADVICE =
  'Nothing will retry it by itself. Fix the cause (pulsebot doctor lists undelivered messages), then `pulsebot deliver --resend <the key above>` tries it once more.';

function title(dead: DeadMessage): string {
  return `pulsebot could not deliver ${what(dead)} (${where(dead)})`;
}

function emailNotice(dead: DeadMessage, to: string, from: string): EmailPayload {
  const rows = facts(dead);
  const text = [`${title(dead)}.`, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`), '', ADVICE, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<p><strong>${escapeHtml(title(dead))}.</strong></p>`,
    '<table cellpadding="4">',
    ...rows.map(([k, v]) => `<tr><td><strong>${escapeHtml(k)}</strong></td><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    `<p>${escapeHtml(ADVICE)}</p>`,
    '</body></html>',
  ].join('\n');
  const id = createHash('sha256').update(`${dead.key}\n${dead.attempts}\n${to}`).digest('hex').slice(0, 32);
  return {
    from,
    to,
    subject: clip(title(dead), 200),
    text,
    html,
    messageId: `<failure.${id}@pulsebot>`,
    attachments: [],
  };
}

function slackNotice(dead: DeadMessage, channel: string): SlackPayload {
  const rows = facts(dead);
  const text = `:warning: ${escapeSlack(title(dead))}`;
  const details = rows.map(([k, v]) => `${k}: ${v}`).join('\n');
  return {
    channel,
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: *${escapeSlack(title(dead))}*` } },
      // plain_text: the error and summary come from elsewhere and must not be read as mrkdwn or mentions.
      { type: 'section', text: { type: 'plain_text', text: `${details}\n${ADVICE}`.slice(0, 2900), emoji: false } },
    ],
    files: [],
  };
}
