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
