import type { Sql, TransactionSql } from '../db/connect.js';
import type { Acknowledgement, Click, Decision } from './slack-actions.js';
import { ALERTS_LOCK_KEY, run } from './store.js';

/**
 * What people did from the Slack buttons (pulsebot.alert_actions): every click, applied or
 * refused, with the Slack user and the time; and the silences that end with their episode.
 */

type Db = Sql | TransactionSql;

/**
 * Waits for the evaluation pass in progress (a pass that starts meanwhile skips its turn), so a
 * click judges the alert as the last pass left it and the next pass sees the click.
 */
export async function takePassLock(tx: TransactionSql): Promise<void> {
  await run('take the evaluation lock', () => tx`select pg_advisory_xact_lock(${ALERTS_LOCK_KEY})`);
}

export async function clickRecorded(tx: TransactionSql, key: string): Promise<boolean> {
  const rows = await run('look up a click', () => tx`select 1 from pulsebot.alert_actions where action_key = ${key}`);
  return rows.length > 0;
}

/** false: the click was recorded meanwhile (the unique key is the last word on "once"). */
export async function recordClick(
  tx: TransactionSql,
  click: Click,
  decision: Decision,
  opts: { silenceId: string | null; now: Date },
): Promise<boolean> {
  const rows = await run(
    'record a click',
    () => tx`
    insert into pulsebot.alert_actions
      (action_key, action, outcome, rule, scope_key, episode_id, slack_user_id, slack_user, channel_id, message_ts, silence_id, at)
    values (${click.key}, ${click.action}, ${decision.outcome}, ${click.rule}, ${click.scope}, ${click.episodeId},
            ${click.user.id}, ${click.user.name}, ${click.channelId}, ${click.messageTs}, ${opts.silenceId}, ${opts.now})
    on conflict (action_key) do nothing
    returning id`,
  );
  return rows.length > 0;
}

/** The acknowledgement of each of these episodes that has one. */
export async function acknowledgementsOf(db: Db, episodeIds: readonly string[]): Promise<Map<string, Acknowledgement>> {
  if (episodeIds.length === 0) return new Map();
  const rows = await run(
    'load acknowledgements',
    () => db<{ episode_id: string; slack_user_id: string; at: Date }[]>`
    select episode_id, slack_user_id, at from pulsebot.alert_actions
    where action = 'acknowledge' and outcome = 'applied' and episode_id = any(${episodeIds as string[]}::text[])`,
  );
  return new Map(rows.map((r) => [r.episode_id, { userId: r.slack_user_id, at: r.at }]));
}

/** Ends the "until resolved" silences of episodes that are over. Returns their ids. */
export async function endEpisodeSilences(
  tx: TransactionSql,
  episodeIds: readonly string[],
  now: Date,
): Promise<string[]> {
  if (episodeIds.length === 0) return [];
  const rows = await run(
    'end silences of resolved alerts',
    () => tx<{ id: number }[]>`
    update pulsebot.silences
    set ends_at = greatest(${now}::timestamptz, starts_at + interval '1 millisecond')
    where ends_with_episode = any(${episodeIds as string[]}::text[]) and ends_at > ${now} and removed_at is null
    returning id`,
  );
  return rows.map((r) => String(r.id));
}

export interface AcknowledgedAlert {
  rule: string;
  scope: string;
  episodeId: string;
  firingSince: Date | null;
  userId: string;
  userName: string | null;
  at: Date;
}

/** Alerts firing now whose episode was acknowledged, oldest acknowledgement first. */
export async function acknowledgedAlerts(db: Db): Promise<AcknowledgedAlert[]> {
  const rows = await run(
    'list acknowledged alerts',
    () => db<
      {
        rule: string;
        scope_key: string;
        episode_id: string;
        firing_since: string | null;
        slack_user_id: string;
        slack_user: string | null;
        at: Date;
      }[]
    >`
    select s.rule, s.scope_key, a.episode_id, s.state ->> 'firingSince' as firing_since, a.slack_user_id, a.slack_user, a.at
    from pulsebot.alert_states s
    join pulsebot.alert_actions a
      on a.episode_id = s.state ->> 'episodeId' and a.action = 'acknowledge' and a.outcome = 'applied'
    where s.status = 'firing'
    order by a.at, a.id`,
  );
  return rows.map((r) => ({
    rule: r.rule,
    scope: r.scope_key,
    episodeId: r.episode_id,
    firingSince: r.firing_since ? new Date(r.firing_since) : null,
    userId: r.slack_user_id,
    userName: r.slack_user,
    at: r.at,
  }));
}

/** The click log keeps as long as the alert events. */
export async function pruneActions(tx: TransactionSql, olderThan: Date): Promise<number> {
  const rows = await run(
    'prune clicks',
    () => tx`delete from pulsebot.alert_actions where at < ${olderThan} returning id`,
  );
  return rows.length;
}
