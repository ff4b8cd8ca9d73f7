import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Sql } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { Rng } from '../../src/demo/random.js';
import { TARGETS, freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { compareWithReference } from '../support/reference-views.js';
import { randomRow, randomWrites } from './random-usage.js';
import { parseDatabaseUrl } from '../../src/config/env.js';

// PGlite serves every client on one session, so only a real server can interleave transactions.
describe.runIf(TARGETS.includes('postgres'))('change capture under concurrent writers (PostgreSQL)', () => {
  let env: FreshEnvironment;
  let db: Database;
  beforeAll(async () => {
    env = await freshEnvironment('postgres');
    db = await env.open();
  });
  afterAll(async () => {
    await db.close();
    await env.cleanup();
  });

  let detached = 0;
  const refresh = async () => {
    const results = await refreshViews(db.sql, {
      dashboardTimezone: 'UTC',
      statementTimeoutSeconds: 120,
      onStep: (s) => (detached += s.view === 'detach' && s.rows === 1 ? 1 : 0),
    });
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
  };

  it('a writer whose transaction is open during a refresh is counted at the next one', async () => {
    const writer = postgres(env.env.DATABASE_URL!, { max: 1, onnotice: () => {} }) as unknown as Sql;
    try {
      const rng = new Rng('open-writer');
      const rows = Array.from({ length: 25 }, () => ({
        ...randomRow(rng, Date.now()),
        created_at: new Date(Date.now() - 3_600_000),
      }));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
      const open = writer.begin(async (tx) => {
        await tx`insert into public.api_usage ${tx(rows as never[])}`;
        inserted();
        await gate;
      });
      await insertedSignal;
      await refresh(); // must neither wait for the writer nor consume its uncommitted changes
      expect(await compareWithReference(db.sql)).toEqual([]);
      const before = (
        await db.sql<{ n: number }[]>`select sum(total_requests)::int as n from public.mv_daily_metrics`
      )[0]!.n;
      release();
      await open;
      await refresh();
      expect(await compareWithReference(db.sql)).toEqual([]);
      const after = (
        await db.sql<{ n: number }[]>`select sum(total_requests)::int as n from public.mv_daily_metrics`
      )[0]!.n;
      expect(after - before).toBe(25);
    } finally {
      await writer.end();
    }
  });

  it('three writers and a refresher running at once lose nothing', async () => {
    const writers = Array.from(
      { length: 3 },
      () => postgres(env.env.DATABASE_URL!, { max: 1, onnotice: () => {} }) as unknown as Sql,
    );
    const stopAt = Date.now() + 4_000;
    let refreshes = 0;
    try {
      const writing = writers.map(async (w, i) => {
        const rng = new Rng(`writer-${i}`);
        while (Date.now() < stopAt) {
          // Random writers can deadlock on the same rows: the loser rolls back whole, log rows included.
          await w
            .begin((tx) => randomWrites(tx as unknown as Sql, rng, Date.now()))
            .catch((e: { code?: string }) => {
              if (e.code !== '40P01') throw e;
            });
        }
      });
      detached = 0;
      const refreshing = (async () => {
        while (Date.now() < stopAt) {
          await refresh();
          refreshes++;
        }
      })();
      await Promise.all([...writing, refreshing]);
      await refresh();
      expect(refreshes).toBeGreaterThan(1);
      // The log was swapped out under the writers' feet, not only folded through the DELETE path.
      expect(detached).toBeGreaterThan(0);
      expect(await compareWithReference(db.sql)).toEqual([]);
    } finally {
      await Promise.all(writers.map((w) => w.end()));
    }
  });

  it('two refreshers at once fold every change exactly once', async () => {
    const other = await openDatabase(parseDatabaseUrl(env.env.DATABASE_URL!, 'TEST_DATABASE_URL'));
    try {
      await randomWrites(db.sql, new Rng('two-refreshers'), Date.now());
      const [a, b] = await Promise.all([
        refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 }),
        refreshViews(other.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 }),
      ]);
      expect([...a, ...b].filter((r) => r.outcome !== 'ok')).toEqual([]);
      expect(await compareWithReference(db.sql)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
