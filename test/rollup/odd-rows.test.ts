import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { refreshViews } from '../../src/db/refresh.js';
import { Rng } from '../../src/demo/random.js';
import { formatSnapshot } from '../../src/metrics/format-snapshot.js';
import { loadSnapshot } from '../../src/metrics/load-snapshot.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { compareWithReference } from '../support/reference-views.js';
import { LOOSE_TABLES, type LooseTable, randomOddWrites, rawKindCounts, rollupKindCounts } from './odd-usage.js';
import { histogramProblems } from './user-sets.js';

const DAY = 86_400_000;
const yesterday = () => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAY;
};

/*
 * Yesterday (UTC), one row an hour; every expected figure below is worked out by hand from it.
 *  #  provider  service  model        cost    latency      success  video
 *  1  openai    content  gpt-4o       0.10    100          true
 *  2  openai    content  gpt-4o       0.20    200          true
 *  3  openai    content  gpt-4o       0.30    300          false
 *  4  openai    content  gpt-4o       NaN     400          true
 *  5  openai    content  gpt-4o       Inf     500          true
 *  6  openai    content  gpt-4o       -Inf    600          true
 *  7  openai    content  gpt-4o       null    700          true
 *  8  openai    content  gpt-4o       0.40    800          null
 *  9  openai    content  ''           0.50    900          true
 * 10  openai    content  null         0.60    1000         false
 * 11  openai    content  gpt-4o       0.70    -5           true
 * 12  openai    content  gpt-4o       0.80    2147483647   true
 * 13  openai    content  gpt-4o       0.90    NaN          true
 * 14  openai    content  gpt-4o       1.00    Inf          true
 * 15  openai    content  gpt-4o       1.10    -Inf         true
 * 16  runway    video    gen-3-alpha  2.00    1100         true     NaN
 * 17  runway    video    gen-3-alpha  3.00    1200         true     10
 * 18  ''        null     m            0.05    null         true
 * 19  openai    content  gpt-4o       -0.25   null         true
 */
const FIXTURE: Array<
  [string | null, string | null, string | null, string | null, string | number | null, boolean | null, string | null]
> = [
  ['openai', 'content', 'gpt-4o', '0.10', 100, true, null],
  ['openai', 'content', 'gpt-4o', '0.20', 200, true, null],
  ['openai', 'content', 'gpt-4o', '0.30', 300, false, null],
  ['openai', 'content', 'gpt-4o', 'NaN', 400, true, null],
  ['openai', 'content', 'gpt-4o', 'Infinity', 500, true, null],
  ['openai', 'content', 'gpt-4o', '-Infinity', 600, true, null],
  ['openai', 'content', 'gpt-4o', null, 700, true, null],
  ['openai', 'content', 'gpt-4o', '0.40', 800, null, null],
  ['openai', 'content', '', '0.50', 900, true, null],
  ['openai', 'content', null, '0.60', 1000, false, null],
  ['openai', 'content', 'gpt-4o', '0.70', -5, true, null],
  ['openai', 'content', 'gpt-4o', '0.80', 2_147_483_647, true, null],
  ['openai', 'content', 'gpt-4o', '0.90', 'NaN', true, null],
  ['openai', 'content', 'gpt-4o', '1.00', 'Infinity', true, null],
  ['openai', 'content', 'gpt-4o', '1.10', '-Infinity', true, null],
  ['runway', 'video', 'gen-3-alpha', '2.00', 1100, true, 'NaN'],
  ['runway', 'video', 'gen-3-alpha', '3.00', 1200, true, '10'],
  ['', null, 'm', '0.05', null, true, null],
  ['openai', 'content', 'gpt-4o', '-0.25', null, true, null],
];

/** Within 1% (the histograms' bound) of a p95 worked out with percentile_cont's interpolation. */
const near = (expected: number) =>
  expect.toSatisfy((v: unknown) => typeof v === 'number' && Math.abs(v - expected) <= 0.01 * expected, `≈ ${expected}`);

describe.each(TARGETS.flatMap((t) => Object.keys(LOOSE_TABLES).map((v) => [t, v as LooseTable] as const)))(
  'rows that are not what the schema promises, on %s with %s',
  (target, variant) => {
    let db: Database;
    const withErrorCode = LOOSE_TABLES[variant].includes('error_code');
    const refresh = async () => {
      const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 120 });
      expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    };
    beforeAll(async () => {
      db = await freshDatabase(target, { migrated: false });
      await db.sql.unsafe(LOOSE_TABLES[variant]);
      await migrate(db.sql);
    });
    afterAll(() => db.close());

    it("takes every odd row without failing the application's insert, and forgets them when they are deleted", async () => {
      const odd: Array<Record<string, unknown>> = [
        { cost_usd: 'NaN' },
        { cost_usd: 'Infinity' },
        { cost_usd: '-Infinity' },
        { cost_usd: null },
        { success: null },
        { model: '' },
        { model: null },
        { provider: '', service_type: null },
        { latency_ms: -1 },
        { latency_ms: 2_147_483_647 },
        { latency_ms: 'NaN' },
        { latency_ms: 'Infinity' },
        { latency_ms: '-Infinity' },
        { video_seconds: 'NaN' },
        { video_seconds: 'Infinity' },
        // Only a numeric column holds these: beyond double precision, and a count that is not one.
        ...(variant.includes('numeric latency') ? [{ latency_ms: '1e400' }, { input_tokens: 'NaN' }] : []),
      ];
      for (const values of odd) {
        const row = {
          provider: 'openai',
          service_type: 'content',
          model: 'gpt-4o',
          cost_usd: '0.01',
          success: true,
          ...values,
        };
        const [inserted] = await db.sql<{ id: number }[]>`insert into public.api_usage ${db.sql(row)} returning id`;
        expect(inserted?.id, JSON.stringify(values)).toBeGreaterThan(0);
      }
      await refresh();
      const [views] = await db.sql<{ requests: number; cost: number }[]>`
        select total_requests::int as requests, total_cost_usd as cost from public.mv_daily_metrics
        where date = (now() at time zone 'UTC')::date`;
      expect(views).toEqual({ requests: odd.length, cost: Number(((odd.length - 4) * 0.01).toFixed(6)) });
      await db.sql`delete from public.api_usage`;
      await refresh();
      expect(await compareWithReference(db.sql)).toEqual([]);
      expect(await rollupKindCounts(db.sql)).toEqual(await rawKindCounts(db.sql));
    });

    it('leaves odd values out of sums and averages, counts each kind, and the views agree with the rules worked out by hand', async () => {
      const D = yesterday();
      const rows = FIXTURE.map(([provider, service_type, model, cost_usd, latency_ms, success, video_seconds], i) => ({
        created_at: new Date(D + i * 3_600_000),
        provider,
        service_type,
        model,
        cost_usd,
        latency_ms,
        success,
        video_seconds,
        ...(withErrorCode ? { error_code: success === false ? 'timeout' : null } : {}),
      }));
      await db.sql`insert into public.api_usage ${db.sql(rows as never[])}`;
      await refresh();

      const day = new Date(D).toISOString().slice(0, 10);
      const [daily] = await db.sql`select * from public.mv_daily_metrics where date = ${day}::date`;
      // 19 rows; 16 succeeded, 2 failed, 1 unknown: 16/18. Cost: 0.10 … 1.10 without the three
      // non-finite ones and the null (6.60 − 0.30 − … see the table) = 11.65 − 0.25 = 11.40.
      // Latency: 100, 200, … 1200 (12 usable): mean 650, p95 = 1100 + 0.45 × 100 = 1145.
      expect(daily).toEqual({
        date: expect.anything(),
        active_users: 0,
        total_requests: 19,
        successful_requests: 16,
        success_rate: 88.89,
        total_cost_usd: 11.4,
        avg_latency_ms: 650,
        p95_latency_ms: near(1145),
        total_tokens: 0,
        total_images: 0,
        total_video_seconds: 10,
      });
      const providers = await db.sql`select * from public.mv_provider_performance order by provider, service_type`;
      expect(providers).toEqual([
        // Rows 1–15 and 19: success 13 of 15 known; latency 100 … 1000: mean 550, p95 900 + 0.55 × 100.
        {
          provider: 'openai',
          service_type: 'content',
          total_requests: 16,
          total_cost_usd: 6.35,
          success_rate: 86.67,
          avg_latency_ms: 550,
          p95_latency_ms: near(955),
        },
        {
          provider: 'runway',
          service_type: 'video',
          total_requests: 2,
          total_cost_usd: 5,
          success_rate: 100,
          avg_latency_ms: 1150,
          p95_latency_ms: near(1195),
        },
        {
          provider: 'unknown',
          service_type: 'unknown',
          total_requests: 1,
          total_cost_usd: 0.05,
          success_rate: 100,
          avg_latency_ms: null,
          p95_latency_ms: null,
        },
      ]);
      const models = await db.sql<{ key: string; requests: number; cost: number; video: number }[]>`
        select provider || '/' || model || '/' || service_type as key, total_requests::int as requests,
               total_cost_usd as cost, total_video_seconds as video
        from public.mv_model_costs order by provider, model, service_type`;
      expect(models).toEqual([
        { key: 'openai/gpt-4o/content', requests: 14, cost: 5.25, video: 0 },
        { key: 'openai/unknown/content', requests: 2, cost: 1.1, video: 0 },
        { key: 'runway/gen-3-alpha/video', requests: 2, cost: 5, video: 10 },
        { key: 'unknown/m/unknown', requests: 1, cost: 0.05, video: 0 },
      ]);
      expect(await compareWithReference(db.sql)).toEqual([]);
      expect(await histogramProblems(db.sql)).toEqual([]);

      const config = configSchema.parse({ reports: { daily: { period: 'day', timezone: 'UTC' } } });
      const s = await loadSnapshot(db.sql, config, { report: 'daily', now: new Date(D + DAY + 3_600_000) });
      expect(s.kpis.current).toMatchObject({
        requests: 19,
        successfulRequests: 16,
        successRate: 16 / 18,
        costUsd: expect.closeTo(11.4, 9),
        avgLatencyMs: 650,
        p95LatencyMs: near(1145),
        videoSeconds: 10,
      });
      expect(s.dataQuality).toMatchObject({
        nonFiniteCostRows: 3,
        negativeCostRows: 1,
        nullCostRows: 1,
        nullSuccessRows: 1,
        unknownModelRows: 2,
        unknownProviderRows: 1,
        unknownServiceTypeRows: 1,
        nullLatencyRows: 2,
        negativeLatencyRows: 1,
        outlierLatencyRows: 1,
        nonFiniteLatencyRows: 3,
        nonFiniteVideoRows: 1,
        futureRows: 0,
      });
      expect(s.operations.find((o) => o.provider === 'openai')?.successRate).toBe(13 / 15);
      const text = formatSnapshot(s);
      // avg 650 ms shares the latency column with p95 ≈ 1,145 ms; in s it would read 0.7, so both read in ms.
      expect(text).toMatch(/^avg latency +650 ms/m);
      expect(text).toContain('3 rows with a NaN or infinite cost (counted as $0)');
      expect(text).toContain('1 row with a latency over 24 h (left out of latency figures)');
      expect(text).toContain('1 row without an outcome (left out of the success rate)');
      expect(text).toContain('2 rows without a model (counted as "unknown")');
    });

    it('random odd rows, updated and deleted, keep every view and counter equal to the raw rows', async () => {
      const rng = new Rng(`odd-${variant}`);
      await db.sql`delete from public.api_usage`;
      const seen = new Set<string>();
      for (let round = 0; round < 10; round++) {
        await randomOddWrites(db.sql, rng, Date.now(), withErrorCode);
        if (round % 2 === 1) await db.sql`select pulsebot.compact_rollups()`;
        await refresh();
        expect(await compareWithReference(db.sql), `round ${round}`).toEqual([]);
        const raw = await rawKindCounts(db.sql);
        expect(await rollupKindCounts(db.sql), `round ${round}`).toEqual(raw);
        expect(await histogramProblems(db.sql), `round ${round}`).toEqual([]);
        for (const [kind, n] of Object.entries(raw)) if (n > 0) seen.add(kind);
      }
      // The rounds did hold odd rows of every kind.
      expect([...seen].sort()).toEqual(Object.keys(await rawKindCounts(db.sql)).sort());
    });
  },
);
