import type { OutgoingMessage, SlackFile, SlackPayload } from '../delivery/types.js';
import { formatInstant } from '../messages/dates.js';
import { formatCount, formatRate } from '../messages/format.js';
import { contextBlock, mrkdwn, plainText } from '../messages/slack-blocks.js';
import { SLACK_LIMITS, escapeSlack, fitEscaped, slackLimitViolations } from '../messages/slack-limits.js';
import { metricFormat, type AlertMessage } from './message.js';
import type { AlertMetric, Severity } from './rules.js';
import { actionButtons, slackAlertKey } from './slack-actions.js';
import type { RenderedSparkline } from './sparkline.js';

/**
 * An alert as Slack messages, one per channel: the firing message (what, where, how bad, since
 * when, top contributors, dashboard and runbook buttons, the sparkline as a file in its thread);
 * repeats and the resolve as replies in that thread, the resolve also editing the original to
 * say RESOLVED. Every piece of data is escaped (a model named "<!channel>" pings nobody) and fitted
 * to Slack's limits. Pure.
 */

export interface SlackAlertOptions {
  /** alerts.timezone: the times in the message. */
  timeZone: string;
  metric: AlertMetric;
  sparkline?: RenderedSparkline | null;
  /** Acknowledge and Silence buttons on firing and repeat messages (Socket Mode is on). */
  actions?: boolean;
}

const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const RESOLVED_EMOJI = '✅';
const REPEAT_EMOJI = '🔁';
const FIELD_MAX = 600;
const NAME_MAX = 120;

type Block = Record<string, unknown>;

function when(d: Date, timeZone: string): string {
  return escapeSlack(formatInstant(d.toISOString(), timeZone));
}

function emojiOf(m: AlertMessage): string {
  return m.kind === 'resolved' ? RESOLVED_EMOJI : m.kind === 'repeat' ? REPEAT_EMOJI : SEVERITY_EMOJI[m.severity];
}

function header(prefix: string, title: string): Block {
  return { type: 'header', text: plainText(`${prefix}${fitEscaped(title, SLACK_LIMITS.headerText - prefix.length)}`) };
}

function field(label: string, value: string): Record<string, unknown> {
  return mrkdwn(`*${label}*\n${value}`);
}

export const failures = (n: number) => `${formatCount(n)} failure${n === 1 ? '' : 's'}`;

/** Counts for failures, the metric's own unit otherwise (cost, p95). */
function contributorLines(m: AlertMessage, metric: AlertMetric): string[] {
  const rates = metric === 'success_rate' || metric === 'error_rate';
  const fmt = metricFormat(
    metric,
    m.contributors.map((c) => c.count),
  );
  return m.contributors.map((c) => {
    const amount = rates ? failures(c.count) : fmt(c.count);
    const share = c.share === null ? '' : ` (${formatRate(c.share, 0)})`;
    const kind = c.kind === 'error_code' ? 'error' : c.kind.replace('_', ' ');
    return `• ${kind} \`${fitEscaped(c.name, NAME_MAX)}\`: ${escapeSlack(amount)}${share}`;
  });
}

function buttons(m: AlertMessage): Block[] {
  const elements = [
    ...(m.links.dashboard && m.links.dashboard.length <= SLACK_LIMITS.buttonUrl
      ? [{ type: 'button', text: plainText('Open dashboard'), url: m.links.dashboard, action_id: 'open_dashboard' }]
      : []),
    ...(m.links.runbook && m.links.runbook.length <= SLACK_LIMITS.buttonUrl
      ? [{ type: 'button', text: plainText('Open runbook'), url: m.links.runbook, action_id: 'open_runbook' }]
      : []),
  ];
  return elements.length ? [{ type: 'actions', elements }] : [];
}

function footer(m: AlertMessage, timeZone: string): Block {
  return contextBlock([
    `pulsebot alert · rule \`${escapeSlack(m.rule)}\` · ${escapeSlack(m.severity)} · times in ${fitEscaped(timeZone, 60)}`,
  ]);
}

/** The firing (or repeat) message's blocks. */
function firingBlocks(m: AlertMessage, opts: SlackAlertOptions, channel: string): Block[] {
  const tz = opts.timeZone;
  const since =
    m.kind === 'repeat'
      ? `firing for ${escapeSlack(m.firingForText)}, since ${when(m.firingSince, tz)}`
      : `${when(m.since, tz)}${m.since.getTime() === m.firingSince.getTime() ? '' : ` (firing since ${when(m.firingSince, tz)})`}`;
  const blocks: Block[] = [
    header(`${emojiOf(m)} `, m.title),
    {
      type: 'section',
      text: mrkdwn(
        `*${fitEscaped(m.what, 400)}*${m.kind === 'firing' && opts.sparkline ? ' (the last hours are charted in the thread)' : ''}`,
      ),
    },
    {
      type: 'section',
      fields: [
        field('Where', fitEscaped(m.where.label, FIELD_MAX)),
        field('How bad', fitEscaped(m.howBad.comparison, FIELD_MAX)),
        field('Volume', `${escapeSlack(m.howBad.requestsText)} requests in the window`),
        field('Since', since),
        field('Severity', escapeSlack(m.severity)),
        field('Threshold', fitEscaped(m.howBad.thresholdText, FIELD_MAX)),
      ],
    },
  ];
  const lines = contributorLines(m, opts.metric);
  if (lines.length) blocks.push({ type: 'section', text: mrkdwn(`*Top contributors*\n${lines.join('\n')}`) });
  blocks.push(...buttons(m));
  const actions = opts.actions
    ? actionButtons({ rule: m.rule, scope: m.where.scope, firingSince: m.firingSince }, channel)
    : null;
  if (actions) blocks.push(actions);
  blocks.push(footer(m, tz));
  return blocks;
}

function acknowledgedText(a: { userId: string; at: Date }, timeZone: string): string {
  return `<@${escapeSlack(a.userId)}> at ${when(a.at, timeZone)}`;
}

/** The resolve's thread reply. */
function resolvedReplyBlocks(m: AlertMessage, opts: SlackAlertOptions): Block[] {
  const tz = opts.timeZone;
  const r = m.resolved!;
  return [
    {
      type: 'section',
      text: mrkdwn(`${RESOLVED_EMOJI} *Resolved after ${escapeSlack(r.durationText)}*: ${fitEscaped(m.title, 500)}`),
    },
    {
      type: 'section',
      fields: [
        field('Now', fitEscaped(m.howBad.comparison, FIELD_MAX)),
        field('Fired', when(m.firingSince, tz)),
        field('Resolved', when(r.at, tz)),
        field('Lasted', escapeSlack(r.durationText)),
        ...(m.acknowledged ? [field('Acknowledged', acknowledgedText(m.acknowledged, tz))] : []),
      ],
    },
    footer(m, tz),
  ];
}

/** What the original firing message is edited into once the alert resolves. */
function resolvedOriginalBlocks(m: AlertMessage, opts: SlackAlertOptions): { text: string; blocks: Block[] } {
  const tz = opts.timeZone;
  const r = m.resolved!;
  const headline = `${m.what} — ${m.where.label}`;
  const blocks: Block[] = [
    header(`${RESOLVED_EMOJI} RESOLVED: `, headline),
    {
      type: 'section',
      text: mrkdwn(
        `Fired at ${when(m.firingSince, tz)}, resolved at ${when(r.at, tz)} after *${escapeSlack(r.durationText)}*.${m.acknowledged ? ` Acknowledged by ${acknowledgedText(m.acknowledged, tz)}.` : ''} Now: ${fitEscaped(m.howBad.comparison, 600)}`,
      ),
    },
    ...buttons(m),
    footer(m, tz),
  ];
  return {
    text: `${RESOLVED_EMOJI} RESOLVED after ${escapeSlack(r.durationText)}: ${fitEscaped(headline, 500)}`,
    blocks,
  };
}

function sparklineFile(m: AlertMessage, s: RenderedSparkline): SlackFile {
  return {
    filename: `${m.rule}-sparkline.png`,
    title: `${m.title.slice(0, 200)} (last hours)`,
    altText: s.alt.slice(0, 1000),
    content: s.png,
  };
}

/** The smallest message that still says what happened, for the (unexpected) case the full one breaks a limit. */
function minimal(m: AlertMessage): Block[] {
  return [{ type: 'section', text: mrkdwn(`${emojiOf(m)} ${fitEscaped(m.title, 1000)}`) }];
}

function within(blocks: Block[], text: string, m: AlertMessage): Block[] {
  return slackLimitViolations(blocks, text).length === 0 ? blocks : minimal(m);
}

/** One Slack message of a notification for one channel. */
export function alertSlackMessage(m: AlertMessage, channel: string, opts: SlackAlertOptions): OutgoingMessage {
  const text = `${emojiOf(m)} ${fitEscaped(m.title, 1000)}`;
  let payload: SlackPayload;
  if (m.kind === 'resolved') {
    const original = resolvedOriginalBlocks(m, opts);
    payload = {
      channel,
      text,
      blocks: within(resolvedReplyBlocks(m, opts), text, m),
      files: [],
      ...(m.replyToKey ? { threadOfKey: slackAlertKey(m.replyToKey, channel) } : {}),
      ...(m.updatesKey
        ? {
            updateOfKey: {
              key: slackAlertKey(m.updatesKey, channel),
              text: original.text,
              blocks: within(original.blocks, original.text, m),
            },
          }
        : {}),
    };
  } else {
    payload = {
      channel,
      text,
      blocks: within(firingBlocks(m, opts, channel), text, m),
      // Files go into the posted message's thread: only a firing message starts one.
      files: opts.sparkline && m.kind === 'firing' ? [sparklineFile(m, opts.sparkline)] : [],
      ...(m.replyToKey ? { threadOfKey: slackAlertKey(m.replyToKey, channel) } : {}),
    };
  }
  return { channel: 'slack', key: slackAlertKey(m.key, channel), payload };
}
