import type { Sql } from '../db/connect.js';

/** Where each of the given outbox messages stands, in the order of `keys`. */
export interface OutboxStatus {
  key: string;
  state: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
}

export async function outboxStatus(sql: Sql, keys: string[]): Promise<OutboxStatus[]> {
  if (keys.length === 0) return [];
  const rows = await sql<OutboxStatus[]>`
    select key, state, attempts, next_attempt_at as "nextAttemptAt", last_error as "lastError"
    from pulsebot.outbox where key = any(${keys}::text[])`;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return keys.map((k) => byKey.get(k)).filter((r): r is OutboxStatus => r !== undefined);
}

/**
 * `pulsebot digest --resend`: messages of these keys that were given up are tried once more, now.
 * `attempts` keeps counting (it fences stale senders), so a resent message that fails again is
 * given up again after that one attempt and reported again.
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
