import { formatInstant } from '../messages/dates.js';
import { contextBlock, mrkdwn, plainText, type Block } from '../messages/slack-blocks.js';
import { escapeSlack, fitEscaped } from '../messages/slack-limits.js';
import { episodeIdOf, notificationKey, type AlertState } from './state-machine.js';

/**
 * The buttons on a firing alert's Slack message (Acknowledge, Silence 1 h, Silence until
 * resolved) and what a click on one means: which alert, whether it may act, and what it says
 * back. Pure; src/alerts/apply-slack-action.ts does the reading and writing.
 */

export type ActionKind = 'acknowledge' | 'silence_1h' | 'silence_until_resolved';

export const ACTION_IDS: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'pulsebot_acknowledge',
  silence_1h: 'pulsebot_silence_1h',
  silence_until_resolved: 'pulsebot_silence_until_resolved',
};
const KIND_OF_ACTION_ID = new Map(Object.entries(ACTION_IDS).map(([k, id]) => [id, k as ActionKind]));

/** The block_id of the buttons' actions block: an acknowledgement edits it out of the message. */
const ACTIONS_BLOCK_ID = 'pulsebot_alert_actions';

/** Slack's limit on a button's value. */
const VALUE_MAX = 2000;
/** Silence 1 h lasts this long; "until resolved" ends when the episode does, or after this at most. */
const SILENCE_HOUR_MS = 3_600_000;
const SILENCE_UNTIL_RESOLVED_MAX_MS = 7 * 86_400_000;

/** What a button carries: the alert and episode, and the Slack channel of the config (for the message's outbox key). */
interface ButtonValue {
  v: 1;
  rule: string;
  scope: string;
  /** The episode's firingSince (ISO). */
  since: string;
  /** The route's channel as configured ("#ai-oncall"): the firing message's outbox key ends with it. */
  channel: string;
}

/** The outbox key of one notification on one Slack channel: `alert:<episode>:firing:slack:#ai-oncall`. */
export function slackAlertKey(notificationKey: string, channel: string): string {
  return `${notificationKey}:slack:${channel}`;
}

/**
 * The buttons' actions block for a firing or repeat message, or null when a value would exceed
 * Slack's limit (a scope key thousands of characters long): the alert goes out without them.
 */
export function actionButtons(
  alert: { rule: string; scope: string; firingSince: Date },
  channel: string,
): Block | null {
  const value = JSON.stringify({
    v: 1,
    rule: alert.rule,
    scope: alert.scope,
    since: alert.firingSince.toISOString(),
    channel,
  } satisfies ButtonValue);
  if (value.length > VALUE_MAX) return null;
  const button = (kind: ActionKind, text: string, extra: Block = {}) => ({
    type: 'button',
    action_id: ACTION_IDS[kind],
    text: plainText(text),
    value,
    ...extra,
  });
  return {
    type: 'actions',
    block_id: ACTIONS_BLOCK_ID,
    elements: [
      button('acknowledge', 'Acknowledge', { style: 'primary' }),
      button('silence_1h', 'Silence 1 h'),
      button('silence_until_resolved', 'Silence until resolved', {
        confirm: {
          title: plainText('Silence until resolved?'),
          text: plainText('No repeats until this alert resolves (at most 7 days). The resolve is still posted.'),
          confirm: plainText('Silence'),
          deny: plainText('Cancel'),
        },
      }),
    ],
  };
}

/** A click on one of our buttons, read from a block_actions payload. */
export interface Click {
  /** Unique per click: a click delivered twice (or to two replicas) is applied once. */
  key: string;
  action: ActionKind;
  rule: string;
  scope: string;
  episodeId: string;
  /** The outbox key of the episode's firing message: the thread to reply in, the message to edit. */
  messageKey: string;
  user: { id: string; name: string | null };
  channelId: string;
  /** The clicked message, and the thread it is in (a repeat's buttons are in the firing's thread). */
  messageTs: string;
  threadTs: string;
  /** The clicked message's blocks as Slack holds them. */
  blocks: unknown[] | null;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** null: not a click on one of pulsebot's alert buttons (another app's, a modal, a malformed body). */
export function parseClick(body: unknown): Click | null {
  const b = obj(body);
  if (b.type !== 'block_actions' || !Array.isArray(b.actions)) return null;
  const action = obj(b.actions[0]);
  const kind = KIND_OF_ACTION_ID.get(String(action.action_id));
  const raw = str(action.value);
  if (!kind || !raw) return null;
  let value: Partial<ButtonValue>;
  try {
    value = obj(JSON.parse(raw)) as Partial<ButtonValue>;
  } catch {
    return null;
  }
  const since = str(value.since);
  const rule = str(value.rule);
  const scope = str(value.scope);
  const channel = str(value.channel);
  if (value.v !== 1 || !rule || !scope || !channel || !since || Number.isNaN(Date.parse(since))) return null;
  const user = obj(b.user);
  const container = obj(b.container);
  const message = obj(b.message);
  const userId = str(user.id);
  const channelId = str(container.channel_id) ?? str(obj(b.channel).id);
  const messageTs = str(container.message_ts) ?? str(message.ts);
  const actionTs = str(action.action_ts) ?? str(b.trigger_id);
  if (!userId || !channelId || !messageTs || !actionTs) return null;
  const episodeId = episodeIdOf(rule, scope, new Date(since));
  return {
    key: `${channelId}:${messageTs}:${userId}:${actionTs}`,
    action: kind,
    rule,
    scope,
    episodeId,
    messageKey: slackAlertKey(notificationKey(episodeId, 'firing'), channel),
    user: { id: userId, name: str(user.username) ?? str(user.name) },
    channelId,
    messageTs,
    threadTs: str(container.thread_ts) ?? str(message.thread_ts) ?? messageTs,
    blocks: Array.isArray(message.blocks) ? message.blocks : null,
  };
}

export interface Acknowledgement {
  userId: string;
  at: Date;
}

export type Decision =
  | { outcome: 'not_allowed' }
  | { outcome: 'unknown_alert' }
  | { outcome: 'already_resolved'; resolvedAt: Date | null; firingAgain: boolean }
  | { outcome: 'already_acknowledged'; by: Acknowledgement }
  | { outcome: 'applied'; silence: { startsAt: Date; endsAt: Date; endsWithEpisode: string | null } | null };

/**
 * What a click does. Only the episode the message is about can be acted on: once it has
 * resolved, a click says so instead of silencing nothing (or, worse, a later episode).
 */
export function decideClick(input: {
  click: Click;
  allowed: boolean;
  state: AlertState | null;
  acknowledgement: Acknowledgement | null;
  now: Date;
}): Decision {
  const { click, state, now } = input;
  if (!input.allowed) return { outcome: 'not_allowed' };
  if (!state) return { outcome: 'unknown_alert' };
  if (state.episodeId !== click.episodeId || state.status !== 'firing') {
    const same = state.episodeId === click.episodeId;
    return {
      outcome: 'already_resolved',
      resolvedAt: same ? state.resolvedAt : null,
      firingAgain: !same && state.status === 'firing',
    };
  }
  switch (click.action) {
    case 'acknowledge':
      return input.acknowledgement
        ? { outcome: 'already_acknowledged', by: input.acknowledgement }
        : { outcome: 'applied', silence: null };
    case 'silence_1h':
      return {
        outcome: 'applied',
        silence: { startsAt: now, endsAt: new Date(now.getTime() + SILENCE_HOUR_MS), endsWithEpisode: null },
      };
    case 'silence_until_resolved':
      return {
        outcome: 'applied',
        silence: {
          startsAt: now,
          endsAt: new Date(now.getTime() + SILENCE_UNTIL_RESOLVED_MAX_MS),
          endsWithEpisode: click.episodeId,
        },
      };
  }
}

const who = (userId: string) => `<@${escapeSlack(userId)}>`;
const when = (d: Date, timeZone: string) => escapeSlack(formatInstant(d.toISOString(), timeZone));
const ACTION_WORDS: Record<ActionKind, string> = {
  acknowledge: 'acknowledge',
  silence_1h: 'silence',
  silence_until_resolved: 'silence',
};

/** What the clicker alone sees when the click did nothing. */
export function refusalText(
  decision: Exclude<Decision, { outcome: 'applied' }>,
  click: Click,
  timeZone: string,
): string {
  switch (decision.outcome) {
    case 'not_allowed':
      return 'You are not allowed to act on pulsebot alerts: ask to be added to alerts.slack_responders.';
    case 'unknown_alert':
      return `pulsebot no longer tracks this alert (rule \`${fitEscaped(click.rule, 120)}\`): nothing to ${ACTION_WORDS[click.action]}.`;
    case 'already_resolved': {
      const at = decision.resolvedAt ? ` at ${when(decision.resolvedAt, timeZone)}` : '';
      const again = decision.firingAgain ? ' It is firing again: use the buttons on the newer message.' : '';
      return `This alert already resolved${at}: nothing to ${ACTION_WORDS[click.action]}.${again}`;
    }
    case 'already_acknowledged':
      return `Already acknowledged by ${who(decision.by.userId)} at ${when(decision.by.at, timeZone)}.`;
  }
}

/** The thread reply that records an applied click for everyone in the channel. */
export function appliedReply(
  click: Click,
  opts: { now: Date; timeZone: string; silence: { id: string; endsAt: Date } | null },
): { text: string; blocks: Block[] } {
  const by = who(click.user.id);
  let text: string;
  if (click.action === 'acknowledge') {
    text = `✋ Acknowledged by ${by} at ${when(opts.now, opts.timeZone)}: no more repeats until it resolves or fires again.`;
  } else {
    const id = opts.silence?.id ?? '?';
    const span =
      click.action === 'silence_1h' && opts.silence
        ? `for 1 h, until ${when(opts.silence.endsAt, opts.timeZone)}`
        : 'until it resolves';
    text = `🔕 Silenced ${span} by ${by} (silence ${escapeSlack(id)}; \`pulsebot silence remove ${escapeSlack(id)}\` ends it). The resolve will still be posted here.`;
  }
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

/** The firing message's blocks once acknowledged: the Acknowledge button goes, a line says who and when. */
export function acknowledgedBlocks(blocks: readonly unknown[], by: Acknowledgement, timeZone: string): Block[] {
  const out: Block[] = [];
  const line = contextBlock([`✋ Acknowledged by ${who(by.userId)} at ${when(by.at, timeZone)}`]);
  let placed = false;
  for (const raw of blocks) {
    const block = obj(raw);
    if (block.type === 'actions' && block.block_id === ACTIONS_BLOCK_ID && Array.isArray(block.elements)) {
      const elements = block.elements.filter((e) => obj(e).action_id !== ACTION_IDS.acknowledge);
      out.push(line);
      placed = true;
      if (elements.length > 0) out.push({ ...block, elements });
      continue;
    }
    out.push(block);
  }
  if (!placed) out.push(line);
  return out;
}

export function silenceComment(click: Click): string {
  const name = click.user.name ? `@${click.user.name} ` : '';
  const what = click.action === 'silence_1h' ? 'Silence 1 h' : 'Silence until resolved';
  return `${what} from Slack by ${name}(${click.user.id})`;
}

export function silenceCreatedBy(click: Click): string {
  return `slack:${click.user.id}`;
}
