import type { JSONValue } from 'postgres';
import type { Sql, TransactionSql } from '../db/connect.js';
import { PulsebotError, messageOf } from '../errors.js';
import { redact } from '../redact.js';
import { blobRefsOf, dehydrate, hydrate, loadBlobs, storeBlobs } from './outbox-blobs.js';
import type {
  Channel,
  DeliveryReceipt,
  EmailPayload,
  PagerDutyPayload,
  Progress,
  QueuedMessage,
  SlackPayload,
  WebhookPayload,
} from './types.js';

/**
 * The outbox ledger's queries. Every time comparison and stamp uses the `now` the caller passes,
 * so the daemon and tests decide what time it is. Updates to a claimed row are fenced by its
 * attempt number: a sender whose lease expired and whose row was claimed again cannot overwrite
 * the new claimant's outcome.
 */

export type OutboxKind = 'report' | 'alert' | 'failure_notice';
export type OutboxState = 'pending' | 'sending' | 'sent' | 'dead';

/** Identifies one claim of one row: the row id and the attempt number the claim gave it. */
export interface Claim {
  id: number;
  attempts: number;
}

export type ClaimedMessage = Claim &
  (
    | { channel: 'slack'; payload: SlackPayload }
    | { channel: 'email'; payload: EmailPayload }
    | { channel: 'pagerduty'; payload: PagerDutyPayload }
    | { channel: 'webhook'; payload: WebhookPayload }
  ) & {
    key: string;
    kind: OutboxKind;
    destination: string;
    progress: Progress;
    /** The row was 'sending' with an expired lease: the process that had it died mid-send. */
    resumed: boolean;
    leaseUntil: Date;
  };

export interface OutboxProblem {
  key: string;
  channel: Channel;
  destination: string;
  kind: OutboxKind;
  /** dead: given up; retrying: failed at least once and waiting; stuck: leased by a sender that stopped renewing. */
  problem: 'dead' | 'retrying' | 'stuck';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deadAt: Date | null;
  failureReportedAt: Date | null;
  updatedAt: Date;
}

/** A dead row whose failure has not been reported yet. */
export interface DeadMessage {
  id: number;
  key: string;
  channel: Channel;
  destination: string;
  kind: OutboxKind;
  attempts: number;
  lastError: string | null;
  deadAt: Date;
  /** The email's subject or the Slack message's text, to say what was lost. */
  summary: string;
}

type Db = Sql | TransactionSql;

async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof PulsebotError) throw cause;
    throw new PulsebotError('DB_QUERY', `outbox: ${what} failed: ${messageOf(cause)}`, { cause });
  }
}

function destinationOf(message: QueuedMessage): string {
  switch (message.channel) {
    case 'slack':
      return message.payload.channel;
    case 'email':
      return message.payload.to;
    default:
      // Never the key or URL itself: a secret stays out of the outbox.
      return message.payload.destination;
  }
}

/**
 * Queues messages; a key that is already queued (in any state) is left alone, so queuing the same
 * report period twice is harmless. Rows are inserted in the order given.
 */
export async function enqueue(
  sql: Sql,
  messages: QueuedMessage[],
  opts: { kind: OutboxKind; now: Date },
): Promise<{ inserted: number; existing: number }> {
  if (messages.length === 0) return { inserted: 0, existing: 0 };
  return run('enqueue', () => sql.begin((tx) => enqueueIn(tx, messages, opts)));
}

/** enqueue inside a transaction the caller holds. */
export async function enqueueIn(
  tx: TransactionSql,
  messages: QueuedMessage[],
  opts: { kind: OutboxKind; now: Date },
): Promise<{ inserted: number; existing: number }> {
  const allBlobs = new Map<string, Buffer>();
  const refsByKey = new Map<string, string[]>();
  const rows = messages.map((m, ord) => {
    if (!m.key) throw new PulsebotError('INTERNAL', 'outbox: a message has no key');
    const destination = destinationOf(m);
    if (!destination) throw new PulsebotError('INTERNAL', `outbox: message ${m.key} has no destination`);
    const { json, blobs } = dehydrate(m.payload);
    for (const [sha, bytes] of blobs) allBlobs.set(sha, bytes);
    refsByKey.set(m.key, [...blobs.keys()]);
    return { ord, key: m.key, channel: m.channel, destination, payload: json };
  });

  await storeBlobs(tx, allBlobs, opts.now);
  const inserted = await tx<{ id: number; key: string }[]>`
    insert into pulsebot.outbox (key, channel, destination, kind, payload, state, attempts, next_attempt_at, created_at, updated_at)
    select r.key, r.channel, r.destination, ${opts.kind}, r.payload, 'pending', 0, ${opts.now}, ${opts.now}, ${opts.now}
    from jsonb_to_recordset(${tx.json(rows as JSONValue)}::jsonb) as r(ord int, key text, channel text, destination text, payload jsonb)
    order by r.ord
    on conflict (key) do nothing
    returning id, key`;

  const refIds: number[] = [];
  const refShas: string[] = [];
  for (const row of inserted) {
    for (const sha of refsByKey.get(row.key) ?? []) {
      refIds.push(row.id);
      refShas.push(sha);
    }
  }
  if (refIds.length > 0) {
    await tx`
      insert into pulsebot.outbox_blob_refs (outbox_id, sha256)
      select * from unnest(${refIds}::bigint[], ${refShas}::text[])`;
  }
  const keys = new Set(messages.map((m) => m.key));
  return { inserted: inserted.length, existing: keys.size - inserted.length };
}

function payloadOf(channel: Channel, payload: unknown) {
  switch (channel) {
    case 'slack':
      return { channel, payload: payload as SlackPayload };
    case 'email':
      return { channel, payload: payload as EmailPayload };
    case 'pagerduty':
      return { channel, payload: payload as PagerDutyPayload };
    case 'webhook':
      return { channel, payload: payload as WebhookPayload };
  }
}

interface ClaimRow {
  id: number;
  key: string;
  channel: Channel;
  kind: OutboxKind;
  destination: string;
  payload: unknown;
  attempts: number;
  progress: Progress;
  resumed: boolean;
  lease_until: Date;
}

/**
 * Claims up to `limit` due rows in one statement: pending rows whose time has come, and sending
 * rows whose lease expired (their sender died). SKIP LOCKED lets concurrent claimers pass each
 * other without waiting or taking the same row. A row that replies to or updates another
 * message waits until that message is no longer pending or sending, so a resolved alert never
 * overtakes its firing message.
 */
export async function claimDue(
  sql: Db,
  opts: { now: Date; leaseMs: number; limit: number; exclude?: Iterable<number> },
): Promise<ClaimedMessage[]> {
  const leaseUntil = new Date(opts.now.getTime() + opts.leaseMs);
  // The caller's own sends in flight: a process must never take over a row it is still sending.
  const exclude = [...(opts.exclude ?? [])];
  const rows = await run(
    'claim',
    () => sql<ClaimRow[]>`
    with due as (
      select o.id, o.state as prior_state
      from pulsebot.outbox o
      where ((o.state = 'pending' and o.next_attempt_at <= ${opts.now})
          or (o.state = 'sending' and o.lease_until <= ${opts.now}))
        and o.id <> all(${exclude}::bigint[])
        and not exists (
          select 1 from pulsebot.outbox d
          where d.key in (o.payload->>'threadOfKey', o.payload->'updateOfKey'->>'key')
            and d.state in ('pending', 'sending'))
      order by o.id
      limit ${opts.limit}
      for update of o skip locked
    )
    update pulsebot.outbox o
    set state = 'sending', lease_until = ${leaseUntil}, attempts = o.attempts + 1, updated_at = ${opts.now}
    from due
    where o.id = due.id
    returning o.id, o.key, o.channel, o.kind, o.destination, o.payload, o.attempts, o.progress,
              due.prior_state = 'sending' as resumed, o.lease_until`,
  );
  if (rows.length === 0) return [];

  const refs = new Set<string>();
  for (const r of rows) blobRefsOf(r.payload, refs);
  const blobs = await run('load blobs', () => loadBlobs(sql, refs));
  return rows
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: r.id,
      attempts: r.attempts,
      key: r.key,
      kind: r.kind,
      destination: r.destination,
      progress: r.progress ?? {},
      resumed: r.resumed,
      leaseUntil: r.lease_until,
      ...payloadOf(r.channel, hydrate(r.payload, blobs)),
    }));
}

/**
 * Persists a send's progress and extends the lease (a long multi-step send keeps its row).
 * false: the claim is no longer ours (the lease expired and another sender took the row).
 */
export async function saveProgress(
  sql: Sql,
  claim: Claim,
  opts: { progress: Progress; now: Date; leaseMs: number },
): Promise<boolean> {
  const leaseUntil = new Date(opts.now.getTime() + opts.leaseMs);
  const rows = await run(
    'save progress',
    () => sql`
    update pulsebot.outbox
    set progress = ${sql.json(opts.progress as JSONValue)}::jsonb, lease_until = greatest(lease_until, ${leaseUntil}), updated_at = ${opts.now}
    where id = ${claim.id} and state = 'sending' and attempts = ${claim.attempts}
    returning id`,
  );
  return rows.length === 1;
}

export async function markSent(
  sql: Sql,
  claim: Claim,
  opts: { receipt: DeliveryReceipt; now: Date },
): Promise<boolean> {
  const rows = await run(
    'mark sent',
    () => sql`
    update pulsebot.outbox
    set state = 'sent', receipt = ${sql.json(opts.receipt as unknown as JSONValue)}::jsonb, sent_at = ${opts.now}, lease_until = null, updated_at = ${opts.now}
    where id = ${claim.id} and state = 'sending' and attempts = ${claim.attempts}
    returning id`,
  );
  return rows.length === 1;
}

/** Back to pending until `nextAttemptAt`; the progress stays, so the retry resumes where this attempt stopped. */
export async function markRetry(
  sql: Sql,
  claim: Claim,
  opts: { error: string; nextAttemptAt: Date; now: Date },
): Promise<boolean> {
  const rows = await run(
    'mark retry',
    () => sql`
    update pulsebot.outbox
    set state = 'pending', next_attempt_at = ${opts.nextAttemptAt}, lease_until = null, last_error = ${redact(opts.error)}, updated_at = ${opts.now}
    where id = ${claim.id} and state = 'sending' and attempts = ${claim.attempts}
    returning id`,
  );
  return rows.length === 1;
}

export async function markDead(sql: Sql, claim: Claim, opts: { error: string; now: Date }): Promise<boolean> {
  const rows = await run(
    'mark dead',
    () => sql`
    update pulsebot.outbox
    set state = 'dead', dead_at = ${opts.now}, lease_until = null, last_error = ${redact(opts.error)}, updated_at = ${opts.now}
    where id = ${claim.id} and state = 'sending' and attempts = ${claim.attempts}
    returning id`,
  );
  return rows.length === 1;
}

export async function markFailureReported(sql: Sql, id: number, now: Date): Promise<void> {
  await run(
    'mark failure reported',
    () => sql`
    update pulsebot.outbox set failure_reported_at = ${now}, updated_at = ${now}
    where id = ${id} and state = 'dead' and failure_reported_at is null`,
  );
}

export async function unreportedDead(sql: Sql, limit = 100): Promise<DeadMessage[]> {
  const rows = await run(
    'list unreported dead',
    () => sql<
      {
        id: number;
        key: string;
        channel: Channel;
        destination: string;
        kind: OutboxKind;
        attempts: number;
        last_error: string | null;
        dead_at: Date;
        summary: string | null;
      }[]
    >`
    select id, key, channel, destination, kind, attempts, last_error, dead_at,
           coalesce(payload->>'subject', payload->>'text') as summary
    from pulsebot.outbox
    where state = 'dead' and failure_reported_at is null
    order by id
    limit ${limit}`,
  );
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    channel: r.channel,
    destination: r.destination,
    kind: r.kind,
    attempts: r.attempts,
    lastError: r.last_error,
    deadAt: r.dead_at,
    summary: r.summary ?? '',
  }));
}

/**
 * For `pulsebot doctor`: dead rows, rows that failed and wait for a retry, and (given `now`)
 * rows leased by a sender that stopped renewing its lease.
 */
export async function listProblems(sql: Sql, opts: { now?: Date; limit?: number } = {}): Promise<OutboxProblem[]> {
  const now = opts.now ?? null;
  const rows = await run(
    'list problems',
    () => sql<
      {
        key: string;
        channel: Channel;
        destination: string;
        kind: OutboxKind;
        problem: OutboxProblem['problem'];
        attempts: number;
        last_error: string | null;
        next_attempt_at: Date | null;
        dead_at: Date | null;
        failure_reported_at: Date | null;
        updated_at: Date;
      }[]
    >`
    select key, channel, destination, kind,
           case when state = 'dead' then 'dead' when state = 'pending' then 'retrying' else 'stuck' end as problem,
           attempts, last_error, case when state = 'pending' then next_attempt_at end as next_attempt_at,
           dead_at, failure_reported_at, updated_at
    from pulsebot.outbox
    where state = 'dead'
       or (state = 'pending' and attempts > 0)
       or (state = 'sending' and ${now}::timestamptz is not null and lease_until < ${now}::timestamptz)
    order by (state = 'dead') desc, updated_at desc
    limit ${opts.limit ?? 100}`,
  );
  return rows.map((r) => ({
    key: r.key,
    channel: r.channel,
    destination: r.destination,
    kind: r.kind,
    problem: r.problem,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    deadAt: r.dead_at,
    failureReportedAt: r.failure_reported_at,
    updatedAt: r.updated_at,
  }));
}

/** The receipt of a sent row (a thread to reply in, a message to update), or null. */
export async function receiptOf(sql: Sql, key: string): Promise<DeliveryReceipt | null> {
  const rows = await run(
    'read receipt',
    () => sql<{ receipt: DeliveryReceipt }[]>`
    select receipt from pulsebot.outbox where key = ${key} and state = 'sent'`,
  );
  return rows[0]?.receipt ?? null;
}

/** The text and blocks a Slack message was queued with (what an edit of it starts from), or null. */
export async function queuedSlackContent(
  sql: Sql | TransactionSql,
  key: string,
): Promise<{ text: string | null; blocks: unknown[] | null } | null> {
  const rows = await run(
    'read queued Slack content',
    () => sql<{ text: string | null; blocks: unknown[] | null }[]>`
    select payload ->> 'text' as text, payload -> 'blocks' as blocks from pulsebot.outbox
    where key = ${key} and channel = 'slack'`,
  );
  return rows[0] ?? null;
}

export async function stateOf(sql: Sql, key: string): Promise<OutboxState | null> {
  const rows = await run(
    'read state',
    () => sql<{ state: OutboxState }[]>`select state from pulsebot.outbox where key = ${key}`,
  );
  return rows[0]?.state ?? null;
}

/** Deletes sent (and reported dead) rows older than `olderThan`, then blobs no row refers to. */
export async function pruneOutbox(sql: Sql, olderThan: Date): Promise<{ rowsDeleted: number; blobsDeleted: number }> {
  const [row] = await run(
    'prune',
    () => sql<{ rows_deleted: number; blobs_deleted: number }[]>`
    select rows_deleted, blobs_deleted from pulsebot.prune_outbox(${olderThan})`,
  );
  return { rowsDeleted: row?.rows_deleted ?? 0, blobsDeleted: row?.blobs_deleted ?? 0 };
}
