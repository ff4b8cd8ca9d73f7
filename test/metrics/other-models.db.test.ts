import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PulsebotConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { seedDemo } from '../../src/demo/seed.js';
import { loadSnapshot } from '../../src/metrics/load-snapshot.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const NOW = new Date('2026-11-20T10:17:00Z');
const TOP = 3;

/**
 * Distinct users of the "other" models and failures by error code, against plain SQL over the
 * raw rows: the rest of the models ranked as a reader would rank them (cost, requests, name), their
 * users counted together; failures without a code apart from a real code named "unknown".
 */
async function rawOther(db: Database, start: string, end: string) {
  const ranked = await db.sql<{ provider: string; service_type: string; model: string; users: number }[]>`
    select provider, service_type, model, count(distinct user_id)::int as users
    from public.api_usage where created_at >= ${start} and created_at < ${end}
    group by 1, 2, 3
    order by sum(cost_usd) desc, count(*) desc, provider || '/' || service_type || '/' || model`;
  const rest = ranked.slice(TOP);
  const [together] = await db.sql<{ n: number }[]>`
    select count(distinct user_id)::int as n from public.api_usage
    where created_at >= ${start} and created_at < ${end}
      and (provider, service_type, model) in (
        select * from unnest(${rest.map((r) => r.provider)}::text[], ${rest.map((r) => r.service_type)}::text[],
                             ${rest.map((r) => r.model)}::text[]))`;
  const codes = await db.sql<{ code: string | null; n: number }[]>`
    select nullif(error_code, '') as code, count(*)::int as n from public.api_usage
    where created_at >= ${start} and created_at < ${end} and success = false group by 1`;
  return { rest, together: together!.n, codes };
}

describe.each(TARGETS)('"other" models and failures without an error code, against raw rows (%s)', (target) => {
  let db: Database;
  const config: PulsebotConfig = configSchema.parse({
    reports: {
      daily: { period: 'day', timezone: 'UTC', top_models: TOP },
      weekly: { period: 'week', timezone: 'UTC', top_models: TOP },
    },
  });
  beforeAll(async () => {
    db = await freshDatabase(target);
    await seedDemo(db.sql, { now: NOW, days: 14, rowsPerDay: 300, seed: 'other-models', append: false });
    // A real code named "unknown" beside failures that carry no code at all (null and empty).
    await db.sql`
      insert into public.api_usage (created_at, user_id, provider, service_type, model, cost_usd, success, latency_ms, error_code)
      select '2026-11-19T08:00:00Z'::timestamptz + i * interval '1 minute', gen_random_uuid(), 'openai', 'content',
             'gpt-4o-mini', 0.001, false, 500, case when i % 3 = 0 then 'unknown' when i % 3 = 1 then null else '' end
      from generate_series(1, 9) i`;
    await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
  });
  afterAll(() => db.close());

  for (const [report, start, end] of [
    // A day reads raw rows; a whole week in the rollups' zone reads the (model, user, day) sets.
    ['daily', '2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'],
    ['weekly', '2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z'],
  ] as const) {
    it(`${report}: "other" counts its models' users once, not per model nor the largest`, async () => {
      const raw = await rawOther(db, start, end);
      const s = await loadSnapshot(db.sql, config, { report, now: NOW });
      expect(s.period.start).toBe(new Date(start).toISOString());
      expect(raw.rest.length).toBeGreaterThan(1);
      expect(s.models.other?.models).toBe(raw.rest.length);
      expect(s.models.other?.uniqueUsers).toBe(raw.together);
      // The fixture is only a test of "distinct" if the other models share users.
      expect(raw.together).toBeLessThan(raw.rest.reduce((n, r) => n + r.users, 0));
      expect(raw.together).toBeGreaterThan(Math.max(...raw.rest.map((r) => r.users)));
    });
  }

  it('daily: failures without an error code are their own entry, apart from the code "unknown"', async () => {
    const raw = await rawOther(db, '2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z');
    const s = await loadSnapshot(db.sql, config, { report: 'daily', now: NOW });
    const failures = raw.codes.reduce((n, c) => n + c.n, 0);
    const rawNone = raw.codes.find((c) => c.code === null)?.n ?? 0;
    const rawUnknown = raw.codes.find((c) => c.code === 'unknown')?.n ?? 0;
    // 3 of the 9 inserted rows carry "unknown", 6 carry no code (null or empty).
    expect(rawUnknown).toBeGreaterThanOrEqual(3);
    expect(rawNone).toBeGreaterThanOrEqual(6);
    const none = s.topErrors.find((e) => e.kind === 'no_error_code');
    expect(none).toMatchObject({ errorCode: null, failures: rawNone });
    expect(s.topErrors.find((e) => e.errorCode === 'unknown')?.failures ?? 0).toBe(
      // "unknown" is in the list when it is among the top 5 codes, else in "other".
      raw.codes
        .filter((c) => c.code !== null)
        .sort((a, b) => b.n - a.n || a.code!.localeCompare(b.code!))
        .slice(0, 5)
        .some((c) => c.code === 'unknown')
        ? rawUnknown
        : 0,
    );
    expect(s.topErrors.reduce((n, e) => n + e.failures, 0)).toBe(failures);
  });
});
