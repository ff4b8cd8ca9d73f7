import type { Sql } from '../db/connect.js';
import type { OutboxKind } from './outbox.js';
import type { Channel } from './types.js';

/** Where each of the given outbox messages stands, in the order of `keys`. */
export interface OutboxStatus {
  key: string;
  channel: Channel;
  destination: string;
  kind: OutboxKind;
  state: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  nextAttemptAt: Date | null;
  /** While 'sending': until when the sender holds it; a sender that died leaves it until then. */
  leaseUntil: Date | null;
  lastError: string | null;
}

export async function outboxStatus(sql: Sql, keys: string[]): Promise<OutboxStatus[]> {
  if (keys.length === 0) return [];
  const rows = await sql<OutboxStatus[]>`
    select key, channel, destination, kind, state, attempts, next_attempt_at as "nextAttemptAt",
           lease_until as "leaseUntil", last_error as "lastError"
    from pulsebot.outbox where key = any(${keys}::text[])`;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return keys.map((k) => byKey.get(k)).filter((r): r is OutboxStatus => r !== undefined);
}

/**
 * Messages not delivered yet that no delivery pass could take at `now`: retries waiting for their
 * time, and rows held by a sender's lease (another process sending, or one that died mid-send).
 */
export async function waitingMessages(sql: Sql, now: Date, limit = 50): Promise<OutboxStatus[]> {
  return sql<OutboxStatus[]>`
    select key, channel, destination, kind, state, attempts, next_attempt_at as "nextAttemptAt",
           lease_until as "leaseUntil", last_error as "lastError"
    from pulsebot.outbox
    where (state = 'pending' and next_attempt_at > ${now})
       or (state = 'sending' and lease_until > ${now})
    order by greatest(next_attempt_at, coalesce(lease_until, next_attempt_at)), id
    limit ${limit}`;
}

/**
 * `pulsebot digest --resend` and `pulsebot deliver --resend`: the messages of these keys that
 * were given up (a failure notice among them too) are tried once more, now. `attempts` keeps
 * counting (it fences stale senders), so a message that had used up max_attempts is given up
 * after that one attempt (and the command's inline retries), and reported again under a new
 * notice key.
 */
export async function requeueDead(sql: Sql, keys: string[], now: Date): Promise<number> {
  if (keys.length === 0) return 0;
  const rows = await sql`
    update pulsebot.outbox
    set state = 'pending', next_attempt_at = ${now}, dead_at = null, failure_reported_at = null, updated_at = ${now}
    where key = any(${keys}::text[]) and state = 'dead'
    returning id`;
  return rows.length;
}
