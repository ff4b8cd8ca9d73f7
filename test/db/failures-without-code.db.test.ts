import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const MIGRATION = readFileSync(
  join(import.meta.dirname, '../../sql/migrations/000004_failures_without_error_code.sql'),
  'utf8',
);

/** Failures without an error code are filed under '' in errors_15m, apart from a real code "unknown". */
describe.each(TARGETS)('failures without an error code in the rollups (%s)', (target) => {
  let db: Database;
  const codes = async () =>
    db.sql<{ code: string; n: number }[]>`
      select error_code as code, sum(failures)::int as n from pulsebot.errors_15m_live
      group by 1 having sum(failures) <> 0 order by 1`;
  const refresh = () => refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
  const needsRebuild = async () =>
    (await db.sql<{ b: boolean }[]>`select needs_rebuild as b from pulsebot.rollup_state`)[0]!.b;

  beforeAll(async () => {
    db = await freshDatabase(target);
    await db.sql`
      insert into public.api_usage (created_at, provider, service_type, model, cost_usd, success, latency_ms, error_code)
      values ('2026-11-19T08:00:00Z', 'openai', 'content', 'gpt-4o', 0.01, false, 100, null),
             ('2026-11-19T08:01:00Z', 'openai', 'content', 'gpt-4o', 0.01, false, 100, ''),
             ('2026-11-19T08:02:00Z', 'openai', 'content', 'gpt-4o', 0.01, false, 100, 'unknown'),
             ('2026-11-19T08:03:00Z', 'openai', 'content', 'gpt-4o', 0.01, true, 100, null)`;
    await refresh();
  });
  afterAll(() => db.close());

  it("files them under '', never under a real code's name", async () => {
    expect(await codes()).toEqual([
      { code: '', n: 2 },
      { code: 'unknown', n: 1 },
    ]);
  });

  it('migration 000004 rebuilds rollups that filed them as "unknown"', async () => {
    // How an earlier pulsebot left the three failures: all under "unknown", compacted or pending.
    await db.sql`
      with moved as (delete from pulsebot.errors_15m where error_code = '' returning bucket, dim_id, failures)
      insert into pulsebot.errors_15m (bucket, dim_id, error_code, failures)
      select bucket, dim_id, 'unknown', failures from moved
      on conflict (bucket, dim_id, error_code) do update set failures = errors_15m.failures + excluded.failures`;
    await db.sql`update pulsebot.pending_15m set error_code = 'unknown' where error_code = ''`;
    expect(await codes()).toEqual([{ code: 'unknown', n: 3 }]);
    await db.sql.unsafe(MIGRATION);
    expect(await needsRebuild()).toBe(true);
    await refresh();
    expect(await needsRebuild()).toBe(false);
    expect(await codes()).toEqual([
      { code: '', n: 2 },
      { code: 'unknown', n: 1 },
    ]);
  });

  it('migration 000004 leaves rollups without the code "unknown" as they are', async () => {
    await db.sql`delete from public.api_usage where error_code = 'unknown'`;
    await refresh();
    expect(await codes()).toEqual([{ code: '', n: 2 }]);
    await db.sql.unsafe(MIGRATION);
    expect(await needsRebuild()).toBe(false);
  });
});
