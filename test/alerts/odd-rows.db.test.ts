import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../../src/alerts/default-rules.js';
import { metricSeries, observeRule, topContributors } from '../../src/alerts/queries.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import type { Database } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { refreshViews } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { LOOSE_TABLES } from '../rollup/odd-usage.js';

const NOW = new Date('2026-11-20T10:07:00Z');

function rule(name: string, over: Partial<NamedAlertRule> = {}): NamedAlertRule {
  return { name, ...defaultAlertRules()[name]!, ...over };
}

/*
 * Nine calls in the last 12 minutes before NOW, every figure below worked out by hand:
 *   cost     0.10 0.20 0.30 NaN  Inf  0.40 0.50  0.60        0.70
 *   latency  100  200  300  400  500  600  -5    2147483647  NaN
 *   success  t    t    f    t    t    null t     t           t      (the 0.40 one has model '')
 * Known outcomes 8, successes 7: 0.875. Cost that counts: 2.80. Usable latencies 100 … 600:
 * p95 = 500 + 0.75 × 100 = 575.
 */
const ROWS: Array<[string, number | string, boolean | null, string]> = [
  ['0.10', 100, true, 'gpt-4o'],
  ['0.20', 200, true, 'gpt-4o'],
  ['0.30', 300, false, 'gpt-4o'],
  ['NaN', 400, true, 'gpt-4o'],
  ['Infinity', 500, true, 'gpt-4o'],
  ['0.40', 600, null, ''],
  ['0.50', -5, true, 'gpt-4o'],
  ['0.60', 2_147_483_647, true, 'gpt-4o'],
  ['0.70', 'NaN', true, 'gpt-4o'],
];

describe.each(TARGETS)('alerts over rows that are not what the schema promises, on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target, { migrated: false });
    await db.sql.unsafe(LOOSE_TABLES['numeric cost, float8 latency']);
    await migrate(db.sql);
    const rows = ROWS.map(([cost_usd, latency_ms, success, model], i) => ({
      created_at: new Date(NOW.getTime() - i * 90_000),
      provider: 'openai',
      service_type: 'content',
      model,
      cost_usd,
      latency_ms,
      success,
      error_code: success === false ? 'timeout' : null,
    }));
    await db.sql`insert into public.api_usage ${db.sql(rows as never[])}`;
  });
  afterAll(() => db.close());

  it('a window of minutes leaves the odd values out: finite cost, p95 of usable latencies, rate over known outcomes', async () => {
    const rate = await observeRule(db.sql, rule('success_rate'), NOW, 'UTC');
    expect(rate.get('all')).toMatchObject({ value: 0.875, requests: 9 });
    const cost = await observeRule(
      db.sql,
      rule('cost', {
        metric: 'cost_usd',
        scope: 'all',
        window_minutes: 15,
        condition: { type: 'threshold', op: '>', value: 100 },
      }),
      NOW,
      'UTC',
    );
    expect(cost.get('all')?.value).toBeCloseTo(2.8, 9);
    const p95Rule = rule('p95', {
      metric: 'p95_latency_ms',
      scope: 'model',
      window_minutes: 15,
      condition: { type: 'threshold', op: '>', value: 10_000 },
    });
    const p95 = await observeRule(db.sql, p95Rule, NOW, 'UTC');
    // gpt-4o's usable latencies are 100 … 500: p95 = 400 + 0.8 × 100. The empty model is 'unknown',
    // as in the rollups; its one latency (600) is its p95.
    expect(Object.fromEntries([...p95].map(([k, o]) => [k, o.value]))).toEqual({
      'model=gpt-4o': 480,
      'model=unknown': 600,
    });
    const contributors = await topContributors(db.sql, { ...p95Rule, scope: 'all' }, 'all', NOW, 'UTC');
    expect(contributors).toEqual([
      { kind: 'model', name: 'unknown', count: 600 },
      { kind: 'model', name: 'gpt-4o', count: 480 },
    ]);
    const series = await metricSeries(db.sql, { ...p95Rule, scope: 'all' }, 'all', [
      { start: new Date(NOW.getTime() - 15 * 60_000), end: NOW },
    ]);
    expect(series).toEqual([{ at: NOW, value: 575 }]);
  });

  it('a day so far, read from the rollups and the raw edge together, gives the same', async () => {
    const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    const today = (metric: NamedAlertRule['metric']) =>
      rule('today', {
        metric,
        scope: 'all',
        window_minutes: 'today',
        condition: { type: 'threshold', op: '>', value: 1e9 },
      });
    const cost = (await observeRule(db.sql, today('cost_usd'), NOW, 'UTC')).get('all');
    expect(cost?.value).toBeCloseTo(2.8, 9);
    const rate = (await observeRule(db.sql, today('success_rate'), NOW, 'UTC')).get('all');
    expect(rate).toMatchObject({ value: 0.875, requests: 9 });
    const p95 = (await observeRule(db.sql, today('p95_latency_ms'), NOW, 'UTC')).get('all')?.value;
    // From histograms: within their 1%.
    expect(Math.abs((p95 ?? 0) - 575)).toBeLessThanOrEqual(5.75);
  });
});
