import type { JSONValue } from 'postgres';
import type { Sql, TransactionSql } from '../db/connect.js';
import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Silence } from './silences.js';
import type { AlertNotification, AlertState, AlertStatus } from './state-machine.js';

/**
 * Persistence of alerting: the state of every rule × scope, the log of what happened to each,
 * and the silences. Every time written is the `now` the caller passes.
 */

type Db = Sql | TransactionSql;

/**
 * Arbitrary but fixed: one evaluation pass at a time across replicas. A transaction-scoped lock,
 * released by the commit that also writes the states and queues the messages.
 */
export const ALERTS_LOCK_KEY = 0x616c7274; // "alrt"

export async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof PulsebotError) throw cause;
    const pg = pgFields(cause);
    throw new PulsebotError('DB_QUERY', `alerts: ${what} failed: ${messageOf(cause)}`, {
      cause,
      ...(pg.hint ? { hint: pg.hint } : {}),
    });
  }
}

/** false: another pass holds the lock (this one should skip). */
export async function tryPassLock(tx: TransactionSql): Promise<boolean> {
  const [r] = await run(
    'take the evaluation lock',
    () => tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${ALERTS_LOCK_KEY}) as locked`,
  );
  return r?.locked === true;
}

export const stateKey = (rule: string, scope: string) => `${rule}\u0000${scope}`;

type StoredState = Omit<AlertState, 'breachSince' | 'firingSince' | 'lastNotifiedAt' | 'resolvedAt' | 'evaluatedAt'> & {
  breachSince: string | null;
  firingSince: string | null;
  lastNotifiedAt: string | null;
  resolvedAt: string | null;
  evaluatedAt: string | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const date = (s: unknown) => (typeof s === 'string' ? new Date(s) : null);

function toJson(s: AlertState): StoredState {
  return {
    ...s,
    breachSince: iso(s.breachSince),
    firingSince: iso(s.firingSince),
    lastNotifiedAt: iso(s.lastNotifiedAt),
    resolvedAt: iso(s.resolvedAt),
    evaluatedAt: iso(s.evaluatedAt),
  };
}

function fromJson(rule: string, scope: string, j: Record<string, unknown>): AlertState {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    rule,
    scope,
    status: (['ok', 'pending', 'firing', 'resolved'] as const).find((s) => s === j.status) ?? 'ok',
    breachSince: date(j.breachSince),
    firingSince: date(j.firingSince),
    episodeId: typeof j.episodeId === 'string' ? j.episodeId : null,
    lastNotifiedAt: date(j.lastNotifiedAt),
    repeats: num(j.repeats) ?? 0,
    resolvedAt: date(j.resolvedAt),
    value: num(j.value),
    evaluatedAt: date(j.evaluatedAt),
  };
}

/** Every stored state, by stateKey(rule, scope). */
export async function loadStates(sql: Db): Promise<Map<string, AlertState>> {
  const rows = await run(
    'load states',
    () => sql<{ rule: string; scope_key: string; state: Record<string, unknown> }[]>`
    select rule, scope_key, state from pulsebot.alert_states`,
  );
  return new Map(rows.map((r) => [stateKey(r.rule, r.scope_key), fromJson(r.rule, r.scope_key, r.state)]));
}

export async function saveStates(tx: TransactionSql, states: readonly AlertState[], now: Date): Promise<void> {
  if (states.length === 0) return;
  const rows = states.map((s) => ({ rule: s.rule, scope_key: s.scope, status: s.status, state: toJson(s) }));
  await run(
    'save states',
    () => tx`
    insert into pulsebot.alert_states (rule, scope_key, state, status, updated_at)
    select r.rule, r.scope_key, r.state, r.status, ${now}
    from jsonb_to_recordset(${tx.json(rows as unknown as JSONValue)}::jsonb) as r(rule text, scope_key text, state jsonb, status text)
    on conflict (rule, scope_key) do update set state = excluded.state, status = excluded.status, updated_at = excluded.updated_at`,
  );
}

/**
 * Forgets the `stale` states (rules removed or disabled, or whose scope dimension changed: their
 * alerts can never resolve) and those of alerts quiet since `quietBefore` (a model nobody calls
 * any more). Returns what was forgotten.
 */
export async function forgetStates(
  tx: TransactionSql,
  opts: { stale: ReadonlyArray<{ rule: string; scope: string }>; quietBefore: Date },
): Promise<{ rule: string; scope: string; status: AlertStatus }[]> {
  const rules = opts.stale.map((s) => s.rule);
  const scopes = opts.stale.map((s) => s.scope);
  const rows = await run(
    'forget states',
    () => tx<{ rule: string; scope_key: string; status: AlertStatus }[]>`
    delete from pulsebot.alert_states s
    where (s.rule, s.scope_key) in (select * from unnest(${rules}::text[], ${scopes}::text[]))
       or (s.status in ('ok', 'resolved') and s.updated_at < ${opts.quietBefore})
    returning s.rule, s.scope_key, s.status`,
  );
  return rows.map((r) => ({ rule: r.rule, scope: r.scope_key, status: r.status }));
}

export interface AlertEvent {
  rule: string;
  scope: string;
  at: Date;
  from: AlertStatus;
  to: AlertStatus;
  episodeId: string | null;
  value: number | null;
  threshold: number | null;
  requests: number;
  notification: AlertNotification['kind'] | null;
  notificationKey: string | null;
  suppressedBy: string | null;
}

/** The log keeps this long; the states keep what matters for the alerts still open. */
export async function pruneEvents(tx: TransactionSql, olderThan: Date): Promise<number> {
  const rows = await run(
    'prune events',
    () => tx`delete from pulsebot.alert_events where at < ${olderThan} returning id`,
  );
  return rows.length;
}

export async function recordEvents(tx: TransactionSql, events: readonly AlertEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    rule: e.rule,
    scope_key: e.scope,
    at: e.at.toISOString(),
    from_status: e.from,
    to_status: e.to,
    episode_id: e.episodeId,
    value: e.value,
    threshold: e.threshold,
    requests: e.requests,
    notification: e.notification,
    notification_key: e.notificationKey,
    suppressed_by: e.suppressedBy,
  }));
  await run(
    'record events',
    () => tx`
    insert into pulsebot.alert_events (rule, scope_key, at, from_status, to_status, episode_id, value, threshold, requests, notification, notification_key, suppressed_by)
    select rule, scope_key, at, from_status, to_status, episode_id, value, threshold, requests, notification, notification_key, suppressed_by
    from jsonb_to_recordset(${tx.json(rows as unknown as JSONValue)}::jsonb) as r(
      rule text, scope_key text, at timestamptz, from_status text, to_status text, episode_id text, value float8,
      threshold float8, requests bigint, notification text, notification_key text, suppressed_by text)`,
  );
}

// ─── Silences ────────────────────────────────────────────────────────────────────────────────

export interface StoredSilence extends Silence {
  createdAt: Date;
  removedAt: Date | null;
  /** "Silence until resolved" from Slack: ends when this episode resolves. */
  endsWithEpisode: string | null;
}

interface SilenceRow {
  id: number;
  rule: string | null;
  scope_key: string | null;
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
  created_at: Date;
  removed_at: Date | null;
  ends_with_episode: string | null;
}

function silenceOf(r: SilenceRow): StoredSilence {
  return {
    id: String(r.id),
    matchers: { ...(r.rule !== null ? { rule: r.rule } : {}), ...(r.scope_key !== null ? { scope: r.scope_key } : {}) },
    starts_at: r.starts_at,
    ends_at: r.ends_at,
    comment: r.comment,
    created_by: r.created_by,
    createdAt: r.created_at,
    removedAt: r.removed_at,
    endsWithEpisode: r.ends_with_episode,
  };
}

/** Silences that have not ended or been removed by `now` (including those that start later). */
export async function currentSilences(sql: Db, now: Date): Promise<StoredSilence[]> {
  const rows = await run(
    'load silences',
    () => sql<SilenceRow[]>`
    select id, rule, scope_key, starts_at, ends_at, comment, created_by, created_at, removed_at, ends_with_episode
    from pulsebot.silences where ends_at > ${now} and removed_at is null order by starts_at, id`,
  );
  return rows.map(silenceOf);
}

/** With `all`, also the silences that ended or were removed, newest first. */
export async function listSilences(sql: Db, opts: { now: Date; all?: boolean }): Promise<StoredSilence[]> {
  if (!opts.all) return currentSilences(sql, opts.now);
  const rows = await run(
    'list silences',
    () => sql<SilenceRow[]>`
    select id, rule, scope_key, starts_at, ends_at, comment, created_by, created_at, removed_at, ends_with_episode
    from pulsebot.silences order by created_at desc, id desc`,
  );
  return rows.map(silenceOf);
}

export interface NewSilence {
  rule: string | null;
  scope: string | null;
  startsAt: Date;
  endsAt: Date;
  comment: string;
  createdBy: string;
  endsWithEpisode?: string | null;
}

export async function addSilence(sql: Db, s: NewSilence, now: Date): Promise<StoredSilence> {
  if (s.rule === null && s.scope === null)
    throw new PulsebotError(
      'USAGE',
      'a silence needs a rule or a scope (one matching everything must not happen by accident)',
    );
  if (!(s.endsAt > s.startsAt))
    throw new PulsebotError('USAGE', `a silence must end after it starts (${s.startsAt.toISOString()})`);
  const [row] = await run(
    'add silence',
    () => sql<SilenceRow[]>`
    insert into pulsebot.silences (rule, scope_key, starts_at, ends_at, comment, created_by, created_at, ends_with_episode)
    values (${s.rule}, ${s.scope}, ${s.startsAt}, ${s.endsAt}, ${s.comment}, ${s.createdBy}, ${now}, ${s.endsWithEpisode ?? null})
    returning id, rule, scope_key, starts_at, ends_at, comment, created_by, created_at, removed_at, ends_with_episode`,
  );
  return silenceOf(row!);
}

/**
 * Ends a silence now; one that has not started yet never applies. The row stays, for the
 * record. null: no silence with that id, or it had ended or been removed already.
 */
export async function removeSilence(sql: Db, id: number, now: Date): Promise<StoredSilence | null> {
  const [row] = await run(
    'remove silence',
    () => sql<SilenceRow[]>`
    update pulsebot.silences
    set removed_at = ${now}, ends_at = case when starts_at < ${now} then least(ends_at, ${now}) else ends_at end
    where id = ${id} and ends_at > ${now} and removed_at is null
    returning id, rule, scope_key, starts_at, ends_at, comment, created_by, created_at, removed_at, ends_with_episode`,
  );
  return row ? silenceOf(row) : null;
}
