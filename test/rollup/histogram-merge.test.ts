import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { setDashboardTimezone } from '../../src/db/settings.js';
import { Rng } from '../../src/demo/random.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { compareWithReference } from '../support/reference-views.js';
import { randomWrites } from './random-usage.js';
import { histogramProblems } from './user-sets.js';

type State = {
  pending_rows: number;
  histogram_rows: number;
  compact_after_rows: number;
  hist: number;
  pending_15m: number;
};

// A scheduler that only calls refresh_analytics_views() (pg_cron) never runs `pulsebot refresh`'s
// merge of the daily histograms after each refresh; the fold merges them once they pile up.
describe.each(TARGETS)('pending daily histograms under pg_cron alone on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
    await setDashboardTimezone(db.sql, 'UTC');
  });
  afterAll(() => db.close());

  const state = async () =>
    (
      await db.sql<State[]>`
      select s.pending_rows, s.histogram_rows, s.compact_after_rows,
             (select count(*) from pulsebot.latency_daily_pending)::int + (select count(*) from pulsebot.latency_daily_total_pending)::int as hist,
             (select count(*) from pulsebot.pending_15m)::int as pending_15m
      from pulsebot.rollup_state s`
    )[0]!;
  const pgCron = async () => {
    const rows = await db.sql<{ outcome: string }[]>`select outcome from public.refresh_analytics_views()`;
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
  };

  it('counts the rows it appends, and merges them once they reach compact_after_rows', async () => {
    const rng = new Rng('histogram-merge');
    await db.sql`update pulsebot.rollup_state set compact_after_rows = 1000000000`;
    await randomWrites(db.sql, rng, Date.now());
    await pgCron();
    const first = await state();
    expect(first.hist).toBeGreaterThan(0);
    expect(first.histogram_rows).toBe(first.hist);

    // Due at the next fold: the daily histograms alone, since the rest is far from its own merge.
    await db.sql`update pulsebot.rollup_state set compact_after_rows = ${first.hist}`;
    await randomWrites(db.sql, rng, Date.now());
    await pgCron();
    const second = await state();
    expect(second.pending_rows).toBeLessThan(4 * first.hist);
    expect(second.hist).toBe(0);
    expect(second.histogram_rows).toBe(0);
    expect(second.pending_15m).toBeGreaterThan(0);
    expect(await histogramProblems(db.sql)).toEqual([]);
    expect(await compareWithReference(db.sql)).toEqual([]);
  });
});
