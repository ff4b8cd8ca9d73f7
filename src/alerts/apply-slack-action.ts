import type { PulsebotConfig } from '../config/schema.js';
import type { Sql, TransactionSql } from '../db/connect.js';
import { enqueueIn, queuedSlackContent } from '../delivery/outbox.js';
import type { QueuedMessage } from '../delivery/types.js';
import { messageOf } from '../errors.js';
import { acknowledgementsOf, clickRecorded, recordClick, takePassLock } from './action-store.js';
import {
  acknowledgedBlocks,
  appliedReply,
  decideClick,
  parseClick,
  refusalText,
  silenceComment,
  silenceCreatedBy,
  type Click,
  type Decision,
} from './slack-actions.js';
import { pagerDutyAcknowledgements } from './render-pagerduty.js';
import { addSilence, loadStates, stateKey } from './store.js';

/**
 * Applies one click on an alert's Slack button: under the evaluation lock, once per click across
 * replicas (the click's key is stored with it), judged against the alert's current episode. An
 * applied click is answered in the alert's thread through the outbox (retried like any message);
 * a refused one gets a message only the clicker sees. An acknowledgement is passed on to the
 * episode's PagerDuty incidents, so they stop escalating.
 */

/** The Slack calls a click needs beyond the outbox. */
export interface SlackResponder {
  /** A message only `user` sees, in the channel (and thread) of the click. */
  postEphemeral(channel: string, user: string, text: string, threadTs: string | null): Promise<void>;
  /** The members of a user group (usergroups.users.list). */
  membersOf(groupId: string): Promise<string[]>;
}

export interface SlackActionDeps {
  sql: Sql;
  config: PulsebotConfig;
  now: () => Date;
  log: (event: Record<string, unknown>) => void;
  slack: SlackResponder;
  /** Delivers what the click queued (the daemon's outbox delivery). */
  deliver: () => Promise<unknown>;
}

export type ClickResult =
  | { status: 'ignored' }
  | { status: 'duplicate'; click: Click }
  | { status: Decision['outcome']; click: Click; silenceId: string | null };

/** Whether the user may act: anyone when no responders are configured, else listed or in a listed group. */
async function mayAct(
  responders: readonly string[],
  userId: string,
  membersOf: (groupId: string) => Promise<string[]>,
): Promise<boolean> {
  if (responders.length === 0 || responders.includes(userId)) return true;
  for (const group of responders.filter((r) => r.startsWith('S'))) {
    if ((await membersOf(group)).includes(userId)) return true;
  }
  return false;
}

export async function handleClick(deps: SlackActionDeps, body: unknown): Promise<ClickResult> {
  const click = parseClick(body);
  if (!click) return { status: 'ignored' };
  const tz = deps.config.alerts.timezone;
  let allowed: boolean;
  try {
    allowed = await mayAct(deps.config.alerts.slack_responders, click.user.id, (g) => deps.slack.membersOf(g));
  } catch (error) {
    // Refusing is the safe side: a group that cannot be read admits nobody through it.
    deps.log({
      level: 'warn',
      event: 'slack.responders_unreadable',
      error: messageOf(error),
      message: `could not read the user groups of alerts.slack_responders: ${messageOf(error)}`,
    });
    allowed = false;
  }

  const now = deps.now();
  const done = await deps.sql.begin(async (tx) => {
    await takePassLock(tx);
    if (await clickRecorded(tx, click.key)) return null;
    const state = (await loadStates(tx)).get(stateKey(click.rule, click.scope)) ?? null;
    const acknowledgement = (await acknowledgementsOf(tx, [click.episodeId])).get(click.episodeId) ?? null;
    const decision = decideClick({ click, allowed, state, acknowledgement, now });
    let silence: { id: string; endsAt: Date } | null = null;
    if (decision.outcome === 'applied' && decision.silence) {
      const stored = await addSilence(
        tx,
        {
          rule: click.rule,
          scope: click.scope,
          startsAt: decision.silence.startsAt,
          endsAt: decision.silence.endsAt,
          comment: silenceComment(click),
          createdBy: silenceCreatedBy(click),
          endsWithEpisode: decision.silence.endsWithEpisode,
        },
        now,
      );
      silence = { id: stored.id, endsAt: stored.ends_at };
    }
    if (!(await recordClick(tx, click, decision, { silenceId: silence?.id ?? null, now }))) return null;
    if (decision.outcome === 'applied') {
      const messages = [await replyOf(tx, click, { now, timeZone: tz, silence })];
      if (click.action === 'acknowledge') {
        const keys = deps.config.alerts.rules[click.rule]?.routes.pagerduty ?? [];
        const who = click.user.name ? `@${click.user.name} (${click.user.id})` : click.user.id;
        const text = `${click.rule} ${click.scope} acknowledged in Slack by ${who}`;
        messages.push(...pagerDutyAcknowledgements({ episodeId: click.episodeId, text }, keys));
      }
      await enqueueIn(tx, messages, { kind: 'alert', now });
    }
    return { decision, silence };
  });

  if (!done) {
    deps.log({ level: 'debug', event: 'slack.action_duplicate', key: click.key, message: 'click already applied' });
    return { status: 'duplicate', click };
  }
  const { decision, silence } = done;
  deps.log({
    level: 'info',
    event: 'slack.action',
    action: click.action,
    outcome: decision.outcome,
    rule: click.rule,
    scope: click.scope,
    user: click.user.id,
    ...(silence ? { silence: silence.id } : {}),
    message: `${click.action} by ${click.user.id} on ${click.rule} ${click.scope}: ${decision.outcome}`,
  });
  if (decision.outcome === 'applied') {
    await deps.deliver();
  } else {
    const text = refusalText(decision, click, tz);
    const inThread = click.threadTs !== click.messageTs ? click.threadTs : null;
    try {
      await deps.slack.postEphemeral(click.channelId, click.user.id, text, inThread);
    } catch (error) {
      // Only the clicker would have seen it; the refusal is stored and logged.
      deps.log({
        level: 'warn',
        event: 'slack.ephemeral_failed',
        error: messageOf(error),
        message: `could not tell ${click.user.id} why the click did nothing: ${messageOf(error)}`,
      });
    }
  }
  return { status: decision.outcome, click, silenceId: silence?.id ?? null };
}

/** The thread reply of an applied click; an acknowledgement also edits the firing message. */
async function replyOf(
  tx: TransactionSql,
  click: Click,
  opts: { now: Date; timeZone: string; silence: { id: string; endsAt: Date } | null },
): Promise<QueuedMessage> {
  const reply = appliedReply(click, opts);
  let update: { key: string; text: string; blocks: unknown[] } | undefined;
  if (click.action === 'acknowledge') {
    const original = await queuedSlackContent(tx, click.messageKey);
    const blocks = original?.blocks ?? (click.messageTs === click.threadTs ? click.blocks : null);
    if (blocks) {
      update = {
        key: click.messageKey,
        text: original?.text ?? reply.text,
        blocks: acknowledgedBlocks(blocks, { userId: click.user.id, at: opts.now }, opts.timeZone),
      };
    }
  }
  return {
    channel: 'slack',
    key: `slack-action:${click.key}`,
    payload: {
      channel: click.channelId,
      text: reply.text,
      blocks: reply.blocks,
      files: [],
      threadOfKey: click.messageKey,
      ...(update ? { updateOfKey: update } : {}),
    },
  };
}
