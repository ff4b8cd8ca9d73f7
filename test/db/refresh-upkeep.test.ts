import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/connect.js';
import { compactIfDue, refreshViews, type UpkeepLog } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase, type TargetName } from '../support/databases.js';
import { adminUrl, databaseUrl } from '../support/postgres-url.js';

/**
 * The upkeep after a refresh (vacuum, compaction) is best effort: a failure must not fail the
 * refresh, and must not pass unnoticed either. Compaction runs as the owner through
 * refresh_analytics_step(), so a role granted only the refresh functions compacts too; a role
 * without them makes compaction fail for real, on both databases.
 */

interface Warning {
  fields: Record<string, unknown>;
  message: string;
}

function recordingLog(): UpkeepLog & { warnings: Warning[] } {
  const warnings: Warning[] = [];
  return { warnings, warn: (fields, message) => warnings.push({ fields, message }) };
}

/** A pool whose every query runs as `role` (one connection, so the session's role holds). */
async function poolAs(
  db: Database,
  target: TargetName,
  role: string,
): Promise<{ sql: Sql; close: () => Promise<void> }> {
  if (target === 'pglite') {
    // The embedded database is one session behind a one-connection pool already.
    await db.sql.unsafe(`set role ${role}`);
    return { sql: db.sql, close: async () => void (await db.sql.unsafe('reset role')) };
  }
  const [row] = await db.sql<{ name: string }[]>`select current_database() as name`;
  const sql = postgres(databaseUrl(row!.name), { max: 1, onnotice: () => {} }) as unknown as Sql;
  await sql.unsafe(`set role ${role}`);
  return { sql, close: () => sql.end({ timeout: 5 }) };
}

describe.each(TARGETS)('upkeep failures after a refresh on %s', (target) => {
  let db: Database;
  const suffix = `${process.pid}_${Date.now()}`;
  const refresher = `pb_refresher_${suffix}`;
  const reader = `pb_reader_${suffix}`;

  beforeAll(async () => {
    db = await freshDatabase(target);
    await db.sql.unsafe(`
      create role ${refresher} nologin;
      grant execute on function public.refresh_analytics_views() to ${refresher};
      grant execute on function public.refresh_analytics_step(text, timestamptz) to ${refresher};
      create role ${reader} nologin;
      grant usage on schema pulsebot to ${reader};
      grant select on pulsebot.rollup_state to ${reader};`);
  });

  afterAll(async () => {
    await db?.close();
    if (target === 'postgres') {
      const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop role if exists ${refresher}; drop role if exists ${reader}`);
      } finally {
        await admin.end();
      }
    }
  });

  it('a role granted only the refresh functions compacts too, as the owner, without a warning', async () => {
    await db.sql`
      insert into public.api_usage (created_at, user_id, provider, service_type, model, cost_usd, latency_ms, success)
      select now() - i * interval '1 minute', null, 'openai', 'content', 'gpt-4o', 0.01, 100 + i, true
      from generate_series(1, 20) i`;
    // Every fold leaves pending deltas; a threshold of one row makes the compaction due.
    await db.sql`update pulsebot.rollup_state set compact_after_rows = 1`;
    const log = recordingLog();
    const as = await poolAs(db, target, refresher);
    try {
      const results = await refreshViews(as.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60, log });
      expect(results.map((r) => [r.view, r.outcome])).toEqual([
        ['rollups', 'ok'],
        ['mv_daily_metrics', 'ok'],
        ['mv_provider_performance', 'ok'],
        ['mv_model_costs', 'ok'],
      ]);
    } finally {
      await as.close();
    }
    expect(log.warnings).toEqual([]);
    const [state] = await db.sql<{ pending: number }[]>`select pending_rows::int as pending from pulsebot.rollup_state`;
    const [pending] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.pending_15m`;
    expect([state?.pending, pending?.n]).toEqual([0, 0]);
  });

  it('a compaction that fails returns 0 merged rows and logs the failure', async () => {
    const log = recordingLog();
    const as = await poolAs(db, target, reader);
    try {
      expect(await compactIfDue(as.sql, { statementTimeoutSeconds: 60, log })).toBe(0);
    } finally {
      await as.close();
    }
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.fields).toEqual({
      event: 'refresh.compaction_failed',
      code: '42501',
      error: expect.stringContaining('permission denied'),
    });
    expect(log.warnings[0]!.message).toMatch(
      /^compaction of the pending rollups could not start; they stay pending and are still read: permission denied .* \(42501\)$/,
    );
  });
});
