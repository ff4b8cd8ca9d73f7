import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { checkDataQuality } from '../../src/doctor/data-quality-check.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

describe.each(TARGETS)("doctor's data-quality check on %s", (target) => {
  let db: Database;
  const refresh = async () => {
    const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
  };
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());

  it('waits for the rollups, then passes while every row is what the contract promises', async () => {
    expect(await checkDataQuality(db.sql, new Date())).toMatchObject({ status: 'warn', fix: 'run `pulsebot refresh`' });
    await db.sql`insert into public.api_usage (provider, service_type, model, cost_usd, latency_ms, success)
                 values ('openai', 'content', 'gpt-4o', 0.01, 800, true), ('openai', 'content', 'gpt-4o', 0.02, 900, false)`;
    await refresh();
    expect(await checkDataQuality(db.sql, new Date())).toEqual({
      name: 'data quality',
      status: 'ok',
      detail: "no odd rows among the last 7 days' 2",
    });
  });

  it('warns, kind by kind, about the last 7 days only', async () => {
    // pulsebot's own api_usage still takes NaN cost, negative and huge latencies and empty names.
    await db.sql`insert into public.api_usage (created_at, provider, service_type, model, cost_usd, latency_ms, success) values
      (now() - interval '1 hour', 'openai', 'content', 'gpt-4o', 'NaN', 800, true),
      (now() - interval '2 hours', 'openai', 'content', '', 0.01, -4, true),
      (now() - interval '3 hours', '', 'content', 'gpt-4o', -0.5, 2147483647, true),
      (now() - interval '3 hours', 'openai', 'content', 'gpt-4o', 0.01, 2147483647, true),
      (now() - interval '9 days', 'openai', 'content', 'gpt-4o', 'NaN', -1, true)`;
    await refresh();
    expect(await checkDataQuality(db.sql, new Date())).toMatchObject({
      status: 'warn',
      detail:
        'last 7 days: 1 row with a NaN or infinite cost (counted as $0); 1 row with a negative cost; ' +
        '1 row without a model (counted as "unknown"); 1 row without a provider (counted as "unknown"); ' +
        '1 row with a negative latency (left out of latency figures); 2 rows with a latency over 24 h (left out of latency figures)',
    });
  });

  it('fails when the rollups themselves hold a NaN sum, naming the rebuild that mends them', async () => {
    await db.sql`update pulsebot.usage_15m set cost_usd = 'NaN' where bucket = (select max(bucket) from pulsebot.usage_15m)`;
    await db.sql`update pulsebot.pending_15m set cost_usd = 'NaN' where bucket = (select max(bucket) from pulsebot.pending_15m)`;
    expect(await checkDataQuality(db.sql, new Date())).toMatchObject({
      status: 'fail',
      fix: 'UPDATE pulsebot.rollup_state SET needs_rebuild = true; then run `pulsebot refresh`',
    });
    await db.sql`update pulsebot.rollup_state set needs_rebuild = true`;
    await refresh();
    expect(await checkDataQuality(db.sql, new Date())).toMatchObject({ status: 'warn' });
  });
});
