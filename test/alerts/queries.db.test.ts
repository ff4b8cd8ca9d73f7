import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../../src/alerts/default-rules.js';
import {
  baselineSpans,
  planSpan,
  rollupsFoldedThrough,
  spanMeasures,
  windowSpan,
} from '../../src/alerts/queries-baseline.js';
import {
  deliveryFailures,
  metricSeries,
  minutesSinceNewestRow,
  observeRule,
  refreshAgeMinutes,
  topContributors,
} from '../../src/alerts/queries.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/** A default rule by name, with overrides (the test states what it relies on). */
function rule(name: string, over: Partial<NamedAlertRule> = {}): NamedAlertRule {
  return { name, ...defaultAlertRules()[name]!, ...over };
}

interface Row {
  at: string;
  provider?: string;
  model?: string;
  service_type?: string;
  success?: boolean;
  cost?: number;
  latency?: number | null;
  error_code?: string | null;
}

async function insert(db: Database, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  await db.sql`insert into public.api_usage ${db.sql(
    rows.map((r) => ({
      created_at: new Date(r.at),
      provider: r.provider ?? 'openai',
      service_type: r.service_type ?? 'content',
      model: r.model ?? 'gpt-4o-mini',
      cost_usd: r.cost ?? 0.01,
      latency_ms: r.latency === undefined ? 800 : r.latency,
      success: r.success ?? true,
      error_code: r.error_code ?? null,
    })) as never[],
  )}`;
}

const minutesBefore = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

describe.each(TARGETS)('alert queries on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.sql`truncate public.api_usage`;
    await db.sql`truncate pulsebot.refresh_log`;
    await db.sql`delete from pulsebot.outbox`;
  });

  const NOW = new Date('2026-11-20T10:07:00Z');

  it('measures the success rate over the last 15 minutes from raw rows, the window edges included', async () => {
    // 60 calls inside the window, 6 of them failed: 54 / 60 = 90%. Around it, rows that must not count.
    const inside: Row[] = Array.from({ length: 60 }, (_, i) => ({
      at: minutesBefore(NOW, i % 15),
      success: i >= 6,
      error_code: i < 6 ? (i < 4 ? 'rate_limited' : 'timeout') : null,
    }));
    inside[0] = { ...inside[0]!, at: minutesBefore(NOW, 15) }; // exactly at the start: inside
    inside[1] = { ...inside[1]!, at: NOW.toISOString() }; // exactly now: inside
    await insert(db, [
      ...inside,
      { at: minutesBefore(NOW, 15.01), success: false },
      { at: minutesBefore(NOW, -1), success: false },
    ]);
    const obs = await observeRule(db.sql, rule('success_rate'), NOW, 'UTC');
    expect([...obs.keys()]).toEqual(['all']);
    expect(obs.get('all')).toEqual({ value: 54 / 60, requests: 60 });

    const contributors = await topContributors(db.sql, rule('success_rate'), 'all', NOW, 'UTC');
    expect(contributors).toEqual([
      { kind: 'error_code', name: 'rate_limited', count: 4 },
      { kind: 'error_code', name: 'timeout', count: 2 },
      { kind: 'model', name: 'gpt-4o-mini', count: 6 },
    ]);
  });

  it('observes scope `all` with no traffic as no value, and each provider with traffic separately', async () => {
    expect((await observeRule(db.sql, rule('success_rate'), NOW, 'UTC')).get('all')).toEqual({
      value: null,
      requests: 0,
    });
    await insert(db, [
      ...Array.from({ length: 30 }, (_, i) => ({ at: minutesBefore(NOW, i % 10), provider: 'openai' })),
      ...Array.from({ length: 25 }, (_, i) => ({
        at: minutesBefore(NOW, i % 10),
        provider: 'anthropic',
        success: i >= 10,
      })),
      { at: minutesBefore(NOW, 11), provider: 'flux', success: false }, // outside the 10-minute window
    ]);
    const obs = await observeRule(db.sql, rule('provider_success_rate'), NOW, 'UTC');
    expect(Object.fromEntries(obs)).toEqual({
      'provider=anthropic': { value: 15 / 25, requests: 25 },
      'provider=openai': { value: 1, requests: 30 },
    });
  });

  describe('baselines over the same span of earlier days (Europe/Berlin, across the end of DST)', () => {
    // NOW is Friday 20 Nov 2026 11:07 in Berlin (UTC+1); "today" began at 19 Nov 23:00Z.
    const tz = 'Europe/Berlin';
    const rows: Row[] = [
      // today: 1 + 2 + 3 = 6; the row before local midnight and the one after now are out
      { at: '2026-11-19T23:30:00Z', cost: 1 },
      { at: '2026-11-20T05:00:00Z', cost: 2 },
      { at: '2026-11-20T10:00:00Z', cost: 3 },
      { at: '2026-11-19T22:50:00Z', cost: 100 },
      { at: '2026-11-20T10:08:00Z', cost: 50 },
      // 1 week back (Fri 13 Nov, 12T23:00Z → 13T10:07Z): 1 + 1 = 2
      { at: '2026-11-12T23:10:00Z', cost: 1 },
      { at: '2026-11-13T10:05:00Z', cost: 1 },
      { at: '2026-11-13T10:09:00Z', cost: 40 },
      { at: '2026-11-12T22:59:00Z', cost: 40 },
      // 2 weeks back (6 Nov): 2 + 2 = 4, the first exactly at local midnight
      { at: '2026-11-05T23:00:00Z', cost: 2 },
      { at: '2026-11-06T09:59:59Z', cost: 2 },
      // 3 weeks back (30 Oct): no traffic, so left out of the mean
      // 4 weeks back (23 Oct, still CEST, UTC+2: 22T22:00Z → 23T09:07Z, 11 h 07 min after midnight): 6
      { at: '2026-10-22T22:30:00Z', cost: 6 },
      { at: '2026-10-23T09:30:00Z', cost: 60 },
    ];
    const costRule = (vs: 'previous_day' | 'same_weekday' | 'baseline_4w') =>
      rule('cost_vs_baseline', { condition: { type: 'change', vs, op: '>', ratio: 1.5 } });

    it('spans: today from local midnight; earlier days the same time after their own midnight', () => {
      const today = windowSpan('today', NOW, tz)!;
      expect(today.start.toISOString()).toBe('2026-11-19T23:00:00.000Z');
      expect(baselineSpans('baseline_4w', today, tz).map((s) => [s.start.toISOString(), s.end.toISOString()])).toEqual([
        ['2026-11-12T23:00:00.000Z', '2026-11-13T10:07:00.000Z'],
        ['2026-11-05T23:00:00.000Z', '2026-11-06T10:07:00.000Z'],
        ['2026-10-29T23:00:00.000Z', '2026-10-30T10:07:00.000Z'],
        ['2026-10-22T22:00:00.000Z', '2026-10-23T09:07:00.000Z'],
      ]);
    });

    it('plans the rollups for whole buckets up to the last fold, raw rows for the rest', () => {
      const today = windowSpan('today', NOW, tz)!;
      const plan = planSpan(today, new Date('2026-11-20T09:20:00Z'));
      expect([plan.midStart.toISOString(), plan.midEnd.toISOString()]).toEqual([
        '2026-11-19T23:00:00.000Z',
        '2026-11-20T09:15:00.000Z',
      ]);
      expect(planSpan(today, null).midEnd).toEqual(today.start);
      expect(planSpan({ start: new Date('2026-11-20T10:01:00Z'), end: NOW }, NOW).midEnd).toEqual(
        new Date('2026-11-20T10:01:00Z'),
      );
    });

    const expectBaselines = async () => {
      const value = async (vs: 'previous_day' | 'same_weekday' | 'baseline_4w') =>
        (await observeRule(db.sql, costRule(vs), NOW, tz)).get('all');
      expect(await value('same_weekday')).toEqual({ value: 6, requests: 3, baseline: 2 });
      expect(await value('baseline_4w')).toEqual({ value: 6, requests: 3, baseline: (2 + 4 + 6) / 3 });
      expect(await value('previous_day')).toEqual({ value: 6, requests: 3, baseline: null });
    };

    it('reads raw rows while the rollups are not built', async () => {
      await insert(db, rows);
      expect(await rollupsFoldedThrough(db.sql)).toBeNull();
      await expectBaselines();
      // The sparkline of a day-so-far rule: each point is that day so far ($1 + $2 by 05:00Z, ends included).
      const points = [new Date('2026-11-20T05:00:00Z'), NOW].map((end) => windowSpan('today', end, tz)!);
      expect((await metricSeries(db.sql, costRule('same_weekday'), 'all', points)).map((p) => p.value)).toEqual([3, 6]);
    });

    it('reads the rollups for whole buckets once a fold has passed the spans, with the same result', async () => {
      await insert(db, rows);
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
      const folded = await rollupsFoldedThrough(db.sql);
      expect(folded).not.toBeNull();
      const week1 = baselineSpans('same_weekday', windowSpan('today', NOW, tz)!, tz)[0]!;
      expect(planSpan(week1, folded).midEnd.toISOString()).toBe('2026-11-13T10:00:00.000Z');
      // Proof the rollups are read (for today's window too): rows deleted from api_usage without
      // the capture triggers still count there.
      await db.sql`alter table public.api_usage disable trigger user`;
      await db.sql`delete from public.api_usage where created_at in ('2026-11-12T23:10:00Z', '2026-11-19T23:30:00Z')`;
      await db.sql`alter table public.api_usage enable trigger user`;
      await expectBaselines();
    });

    it('merges latency histograms of rollups and raw edges into a p95 within 1%', async () => {
      await insert(db, [
        { at: '2026-11-12T23:10:00Z', latency: 1000 },
        { at: '2026-11-13T01:00:00Z', latency: 1000 },
        { at: '2026-11-13T10:05:00Z', latency: 1000 },
      ]);
      const spans = baselineSpans('same_weekday', windowSpan('today', NOW, tz)!, tz);
      const raw = await spanMeasures(db.sql, 'all', spans, null);
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
      const mixed = await spanMeasures(db.sql, 'all', spans, await rollupsFoldedThrough(db.sql));
      for (const m of [raw[0]!.get('all')!, mixed[0]!.get('all')!]) {
        expect(m.requests).toBe(3);
        expect(Math.abs(m.p95LatencyMs! - 1000) / 1000).toBeLessThan(0.01);
      }
    });
  });

  it('minutes since the newest row ignore rows from the future; per provider within the lookback', async () => {
    expect(await minutesSinceNewestRow(db.sql, 'all', NOW)).toEqual(new Map());
    await insert(db, [
      { at: minutesBefore(NOW, 31) },
      { at: minutesBefore(NOW, 45), provider: 'anthropic' },
      { at: minutesBefore(NOW, -10) },
    ]);
    expect(await minutesSinceNewestRow(db.sql, 'all', NOW)).toEqual(new Map([['all', 31]]));
    expect(await minutesSinceNewestRow(db.sql, 'provider', NOW)).toEqual(
      new Map([
        ['anthropic', 45],
        ['openai', 31],
      ]),
    );
    const instant = (minutes: number) => ({
      start: new Date(minutesBefore(NOW, minutes)),
      end: new Date(minutesBefore(NOW, minutes)),
    });
    const series = await metricSeries(db.sql, rule('no_new_rows'), 'all', [instant(50), instant(40), instant(0)]);
    expect(series.map((p) => p.value)).toEqual([null, 5, 31]);
  });

  it('refresh age: since the last good fold, or since a failing view last worked', async () => {
    expect(await refreshAgeMinutes(db.sql, NOW)).toBeNull();
    const log = (view: string, minutesAgo: number, outcome: 'ok' | 'failed') => db.sql`
      insert into pulsebot.refresh_log (view_name, started_at, finished_at, outcome)
      values (${view}, ${new Date(minutesBefore(NOW, minutesAgo + 0.1))}, ${new Date(minutesBefore(NOW, minutesAgo))}, ${outcome})`;
    await log('rollups', 20, 'ok');
    await log('mv_daily_metrics', 30, 'ok');
    await log('mv_daily_metrics', 20, 'ok');
    expect(await refreshAgeMinutes(db.sql, NOW)).toBe(20);
    // The views fail from then on; the fold works. Age counts from the view's last success.
    await log('rollups', 2, 'ok');
    await log('mv_daily_metrics', 2, 'failed');
    expect(await refreshAgeMinutes(db.sql, NOW)).toBe(20);
    // A view that never worked counts from its first failure in the log.
    await log('mv_model_costs', 50, 'failed');
    await log('mv_model_costs', 2, 'failed');
    expect(await refreshAgeMinutes(db.sql, NOW)).toBe(50);
  });

  it('delivery failures: given up within the window, or failed and waiting for a retry', async () => {
    const row = (
      key: string,
      state: string,
      extra: { attempts?: number; deadAt?: Date | null; lease?: Date | null; sentAt?: Date | null },
    ) => db.sql`
      insert into pulsebot.outbox (key, channel, destination, kind, payload, state, attempts, next_attempt_at, lease_until, receipt, created_at, updated_at, sent_at, dead_at)
      values (${key}, 'slack', '#x', 'report', '{}'::jsonb, ${state}, ${extra.attempts ?? 0}, ${NOW}, ${extra.lease ?? null},
              ${state === 'sent' ? db.sql.json({ externalId: 'x' }) : null}, ${NOW}, ${NOW}, ${extra.sentAt ?? null}, ${extra.deadAt ?? null})`;
    await row('dead-inside', 'dead', { attempts: 5, deadAt: new Date(minutesBefore(NOW, 30)) });
    await row('dead-before', 'dead', { attempts: 5, deadAt: new Date(minutesBefore(NOW, 61)) });
    await row('retrying', 'pending', { attempts: 2 });
    await row('fresh', 'pending', {});
    await row('sent', 'sent', { attempts: 2, sentAt: NOW });
    await row('sending', 'sending', { attempts: 1, lease: NOW });
    expect(await deliveryFailures(db.sql, windowSpan(60, NOW, 'UTC')!)).toBe(2);
  });
});
