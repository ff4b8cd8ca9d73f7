import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews, type ViewRefresh } from '../../src/db/refresh.js';
import { setDashboardTimezone } from '../../src/db/settings.js';
import { Rng } from '../../src/demo/random.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { compareWithReference } from '../support/reference-views.js';
import { randomWrites } from './random-usage.js';
import { histogramProblems, userSetProblems, usersByModelProblems } from './user-sets.js';

const ROUNDS = 12;

/** `pulsebot refresh`'s way: detach the log, fold its two parts and the three views side by side. */
async function refresh(db: Database, timezone: string): Promise<ViewRefresh[]> {
  // The zone is changed the way `migrate` changes it; the refresh then checks it agrees.
  await setDashboardTimezone(db.sql, timezone);
  const steps: ViewRefresh[] = [];
  const results = await refreshViews(db.sql, {
    dashboardTimezone: timezone,
    statementTimeoutSeconds: 120,
    onStep: (s) => steps.push(s),
  });
  expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
  return steps;
}

/** pg_cron's way: refresh_analytics_views(), everything in one transaction, through the DELETE path. */
async function refreshInOneTransaction(db: Database, timezone: string) {
  await setDashboardTimezone(db.sql, timezone);
  const results = await db.sql<{ outcome: string }[]>`select outcome, error from public.refresh_analytics_views()`;
  expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
}

const step = async (db: Database, name: string) =>
  (
    await db.sql<
      { outcome: string; row_count: number }[]
    >`select outcome, row_count from public.refresh_analytics_step(${name})`
  )[0]!;

/**
 * A refresh cut short after the detach: none or one of the two parts folded, then more writes
 * (which go to the new log), then a refresh that must fold the rest of the detached rows and the
 * new ones, each once.
 */
async function interruptedRefresh(
  db: Database,
  timezone: string,
  rng: Rng,
  partsDone: readonly ('measures' | 'users')[],
  now: number,
) {
  await setDashboardTimezone(db.sql, timezone);
  expect(await step(db, 'detach')).toEqual({ outcome: 'ok', row_count: 1 });
  for (const part of partsDone) expect((await step(db, part)).outcome).toBe('ok');
  await randomWrites(db.sql, rng, now);
  await refresh(db, timezone);
}

/** Change rows not folded yet: in the log and detached. */
const changesLeft = async (db: Database) =>
  (
    await db.sql<{ n: number }[]>`
    select (select count(*) from pulsebot.usage_changes) + (select count(*) from pulsebot.usage_changes_taken) as n`
  )[0]!.n;

const pendingRows = async (db: Database) =>
  (
    await db.sql<{ n: number }[]>`
    select (select count(*) from pulsebot.pending_15m) + (select count(*) from pulsebot.model_user_days_pending)
         + (select count(*) from pulsebot.latency_daily_pending) + (select count(*) from pulsebot.latency_daily_total_pending) as n`
  )[0]!.n;

/**
 * How each seed treats the pending deltas: never compacted (every refresh reads rollup ∪ pending
 * and every delete meets uncompacted counts), compacted explicitly every third round (between a
 * refresh and the next batch), or compacted at every refresh, by the fold itself (threshold 1).
 */
const SCHEDULES = { 1: 'every-refresh', 2: 'every-third-round', 3: 'never' } as const;

describe.each(TARGETS)('incremental refresh equals a from-scratch computation on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());

  for (const seed of [1, 2, 3] as const) {
    const schedule = SCHEDULES[seed];
    it(`random inserts (some back-dated), updates and deletes, seed ${seed}, compaction ${schedule}`, async () => {
      await db.sql`truncate public.api_usage`;
      await db.sql`update pulsebot.rollup_state set compact_after_rows = ${schedule === 'every-refresh' ? 1 : 1_000_000_000}`;
      const rng = new Rng(`rollup-${seed}`);
      const now = Date.now();
      // Each seed also runs in another time zone: a change of zone rebuilds the daily rollups.
      const zones = ['UTC', 'Asia/Kathmandu', 'America/New_York'];
      let zone = zones[(seed - 1) % zones.length]!;
      let compactions = 0;
      for (let round = 0; round < ROUNDS; round++) {
        await randomWrites(db.sql, rng, now);
        if (round === ROUNDS / 2) zone = zones[seed % zones.length]!;
        // Every round one of the three ways a batch gets folded, each 4 times a seed.
        if (round % 3 === 0) {
          const steps = await refresh(db, zone);
          // After the TRUNCATE and the zone change the fold rebuilds from api_usage instead.
          if (round !== 0 && round !== ROUNDS / 2)
            expect(steps.find((s) => s.view === 'detach')?.rows, `round ${round}: detached`).toBe(1);
        } else if (round % 3 === 1) {
          await refreshInOneTransaction(db, zone);
        } else {
          await interruptedRefresh(
            db,
            zone,
            rng,
            ([[], ['measures'], ['users']] as const)[Math.floor(round / 3) % 3]!,
            now,
          );
        }
        expect(await compareWithReference(db.sql), `round ${round} (${zone})`).toEqual([]);
        expect(await userSetProblems(db.sql), `round ${round} (${zone})`).toEqual([]);
        expect(await usersByModelProblems(db.sql), `round ${round} (${zone})`).toEqual([]);
        expect(await histogramProblems(db.sql), `round ${round} (${zone})`).toEqual([]);
        if (schedule === 'every-third-round' && round % 3 === 1) {
          const [{ merged }] = (await db.sql`select pulsebot.compact_rollups()::int as merged`) as unknown as [
            { merged: number },
          ];
          if (merged > 0) compactions++;
          expect(await pendingRows(db)).toBe(0);
          expect(await compareWithReference(db.sql), `round ${round} after compaction`).toEqual([]);
          expect(await userSetProblems(db.sql), `round ${round} after compaction`).toEqual([]);
          expect(await usersByModelProblems(db.sql), `round ${round} after compaction`).toEqual([]);
          expect(await histogramProblems(db.sql), `round ${round} after compaction`).toEqual([]);
        }
      }
      expect(await changesLeft(db)).toBe(0);
      // The schedule really was what it says.
      if (schedule === 'never') expect(await pendingRows(db)).toBeGreaterThan(0);
      if (schedule === 'every-refresh') expect(await pendingRows(db)).toBe(0);
      if (schedule === 'every-third-round') expect(compactions).toBeGreaterThan(2);
      await db.sql`update pulsebot.rollup_state set compact_after_rows = default`;
    });
  }

  it('deleting the synthetic rows takes them out of the numbers', async () => {
    await db.sql`truncate public.api_usage`;
    const rng = new Rng('synthetic');
    // Enough rows that most users keep other days and models after the delete.
    for (let i = 0; i < 6; i++) await randomWrites(db.sql, rng, Date.now());
    await db.sql`update public.api_usage set is_synthetic = (id % 2 = 0)`;
    await refresh(db, 'UTC');
    const before = (
      await db.sql<{ n: number }[]>`select sum(total_requests)::int as n from public.mv_daily_metrics`
    )[0]!.n;
    const removed = (
      await db.sql`delete from public.api_usage where is_synthetic and created_at > now() - interval '89 days' and created_at <= now()`
    ).count;
    await refresh(db, 'UTC');
    const after = (await db.sql<{ n: number }[]>`select sum(total_requests)::int as n from public.mv_daily_metrics`)[0]!
      .n;
    expect(removed).toBeGreaterThan(0);
    expect(after).toBe(before - removed);
    expect(await compareWithReference(db.sql)).toEqual([]);
    expect(await userSetProblems(db.sql)).toEqual([]);
    // And the rest of the last 30 days: users leave days and models, the model bitmaps empty.
    await db.sql`delete from public.api_usage where created_at > now() - interval '30 days'`;
    await refresh(db, 'UTC');
    expect(await compareWithReference(db.sql)).toEqual([]);
    expect(await userSetProblems(db.sql)).toEqual([]);
  });

  for (const way of ['detached', 'one-transaction'] as const) {
    it(`change rows without their key or millionths (captured by an older pulsebot) fold as exactly as the rest (${way})`, async () => {
      await db.sql`truncate public.api_usage`;
      await refresh(db, 'UTC');
      await randomWrites(db.sql, new Rng(`keyless-${way}`), Date.now());
      // No key, or a key that is not the names' (another machine's hash), and no millionths.
      const changed = (
        await db.sql`
        update pulsebot.usage_changes set dim_key = case when input_tokens is null then null else dim_key # 1 end,
          cost_micros = null, video_micros = null`
      ).count;
      expect(changed).toBeGreaterThan(0);
      if (way === 'detached') {
        const steps = await refresh(db, 'UTC');
        expect(steps.find((s) => s.view === 'detach')?.rows).toBe(1);
        // Both parts met unknown keys, registered them and folded: nothing was left to the fold.
        expect(steps.filter((s) => s.view === 'measures' || s.view === 'users').map((s) => s.outcome)).toEqual([
          'ok',
          'ok',
        ]);
      } else {
        await refreshInOneTransaction(db, 'UTC');
      }
      expect(await compareWithReference(db.sql)).toEqual([]);
      expect(await userSetProblems(db.sql)).toEqual([]);
      expect(await histogramProblems(db.sql)).toEqual([]);
      expect(await changesLeft(db)).toBe(0);
    });
  }

  for (const part of ['measures', 'users'] as const) {
    it(`a ${part} part that fails is folded by the rest of the refresh, once`, async () => {
      await db.sql`truncate public.api_usage`;
      await refresh(db, 'UTC');
      // Fails the part's first write into pending, once (a sequence: not rolled back with it).
      const table = part === 'measures' ? 'pending_15m' : 'model_user_days_pending_batches';
      await db.sql.unsafe(`
        create sequence pulsebot.test_fail_once;
        create function pulsebot.test_fail_once() returns trigger language plpgsql as $f$
        begin
          if nextval('pulsebot.test_fail_once') = 1 then raise exception 'injected failure'; end if;
          return null;
        end $f$;
        create trigger test_fail_once after insert on pulsebot.${table} for each statement execute function pulsebot.test_fail_once();`);
      try {
        await randomWrites(db.sql, new Rng(`failing-${part}`), Date.now());
        const steps = await refresh(db, 'UTC');
        expect(steps.find((s) => s.view === 'detach')?.rows).toBe(1);
        expect(steps.find((s) => s.view === part)).toMatchObject({ outcome: 'failed', error: 'injected failure' });
        expect(await compareWithReference(db.sql)).toEqual([]);
        expect(await userSetProblems(db.sql)).toEqual([]);
        expect(await histogramProblems(db.sql)).toEqual([]);
      } finally {
        await db.sql.unsafe(`
          drop trigger test_fail_once on pulsebot.${table};
          drop function pulsebot.test_fail_once();
          drop sequence pulsebot.test_fail_once;`);
      }
    });
  }

  it('TRUNCATE of api_usage empties the views at the next refresh', async () => {
    await randomWrites(db.sql, new Rng('truncate'), Date.now());
    await refresh(db, 'UTC');
    await db.sql`truncate public.api_usage`;
    await refresh(db, 'UTC');
    const [row] = await db.sql<
      { n: number }[]
    >`select coalesce(sum(total_requests), 0)::int as n from public.mv_daily_metrics`;
    expect(row!.n).toBe(0);
    expect(await compareWithReference(db.sql)).toEqual([]);
    expect(await pendingRows(db)).toBe(0);
  });
});
