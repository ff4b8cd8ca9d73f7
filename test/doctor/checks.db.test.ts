import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { setDashboardTimezone } from '../../src/db/settings.js';
import { refreshViews } from '../../src/db/refresh.js';
import { seedDemo } from '../../src/demo/seed.js';
import type { CheckResult } from '../../src/doctor/check-result.js';
import { runChecks } from '../../src/doctor/checks.js';
import { formatChecks } from '../../src/doctor/format.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const config = defaultConfig();
const byName = (results: CheckResult[]) => new Map(results.map((r) => [r.name, r]));
const failed = (results: CheckResult[]) =>
  results
    .filter((r) => r.status === 'fail')
    .map((r) => r.name)
    .sort();

describe.each(TARGETS)('doctor on %s', (target) => {
  describe('a migrated database', () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(target);
    });
    afterAll(() => db.close());

    it('says plainly that api_usage is empty and the views were never refreshed', async () => {
      const results = await runChecks({ sql: db.sql, config, now: new Date() });
      expect(failed(results)).toEqual([
        'change capture',
        'newest api_usage row',
        'refresh mv_daily_metrics',
        'refresh mv_model_costs',
        'refresh mv_provider_performance',
        'refresh rollups',
      ]);
      expect(byName(results).get('change capture')).toMatchObject({
        detail: expect.stringMatching(/rebuilt/),
        fix: 'run `pulsebot refresh`',
      });
      expect(byName(results).get('newest api_usage row')!.detail).toMatch(/empty/);
      expect(byName(results).get('refresh mv_daily_metrics')!.detail).toMatch(/never refreshed/);
    });

    it('passes everything right after seeding and refreshing', async () => {
      const now = new Date();
      await seedDemo(db.sql, { now, days: 2, rowsPerDay: 300, seed: 1, append: false });
      // 300 rows a day leave night hours with no row in the last 30 minutes (the data-age limit):
      // the call the application just logged.
      await db.sql`insert into public.api_usage (created_at, user_id, provider, service_type, model, cost_usd, latency_ms, success)
        values (${new Date(now.getTime() - 60_000)}, gen_random_uuid(), 'openai', 'content', 'gpt-4o-mini', 0.0003, 800, true)`;
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
      const results = await runChecks({ sql: db.sql, config, now: new Date(now.getTime() + 60_000) });
      expect(failed(results)).toEqual([]);
    });

    it('flags data that stopped arriving and a refresh that is too old', async () => {
      const later = new Date(Date.now() + 2 * 3_600_000);
      const results = byName(await runChecks({ sql: db.sql, config, now: later }));
      expect(results.get('newest api_usage row')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/stopped arriving/),
      });
      expect(results.get('refresh mv_model_costs')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/limit 15 min/),
      });
    });

    it('shows the error of a refresh that failed', async () => {
      await setDashboardTimezone(db.sql, 'Not/AZone');
      await db.sql`select * from public.refresh_analytics_views()`;
      await setDashboardTimezone(db.sql, 'UTC');
      const results = byName(await runChecks({ sql: db.sql, config, now: new Date() }));
      expect(results.get('refresh mv_daily_metrics')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/failed .*Not\/AZone/),
      });
    });

    it('counts the changes waiting, detached ones included', async () => {
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
      const insert = (n: number) => db.sql`
        insert into public.api_usage (created_at, user_id, provider, service_type, model, cost_usd, latency_ms, success)
        select now(), gen_random_uuid(), 'openai', 'content', 'gpt-4o-mini', 0.0003, 800, true from generate_series(1, ${n})`;
      await insert(3);
      // A refresh cut short after detaching them, then two more rows in the new log.
      expect((await db.sql`select row_count from public.refresh_analytics_step('detach')`)[0]!.row_count).toBe(1);
      await insert(2);
      const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('change capture')!;
      expect(r).toMatchObject({ status: 'ok', detail: expect.stringMatching(/; 5 changes waiting/) });
      await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    });

    it('notices change capture switched off (the dashboard would freeze)', async () => {
      await db.sql`alter table public.api_usage disable trigger pulsebot_capture_insert`;
      try {
        const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('change capture')!;
        expect(r).toMatchObject({ status: 'fail', detail: expect.stringMatching(/pulsebot_capture_insert disabled/) });
      } finally {
        await db.sql`alter table public.api_usage enable trigger pulsebot_capture_insert`;
      }
      await db.sql`drop trigger pulsebot_capture_delete on public.api_usage`;
      const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('change capture')!;
      expect(r).toMatchObject({ status: 'fail', detail: expect.stringMatching(/pulsebot_capture_delete missing/) });
    });

    it('notices a weakened refresh function', async () => {
      await db.sql`grant execute on function public.refresh_analytics_views() to public`;
      await db.sql`alter function public.refresh_analytics_views() reset search_path`;
      const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('refresh_analytics_views()')!;
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/search_path not pinned/);
      expect(r.detail).toMatch(/EXECUTE granted to public/);
    });

    it('notices a weakened refresh step function (what `pulsebot refresh` calls)', async () => {
      await db.sql`grant execute on function public.refresh_analytics_step(text, timestamptz) to public`;
      try {
        const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('refresh_analytics_views()')!;
        expect(r).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(/refresh_analytics_step\(\): EXECUTE granted to public/),
        });
      } finally {
        await db.sql`revoke execute on function public.refresh_analytics_step(text, timestamptz) from public`;
      }
    });

    it('notices a missing view and a view without its unique index', async () => {
      await db.sql`drop materialized view public.mv_model_costs`;
      await db.sql`drop index public.mv_provider_performance_key`;
      const results = byName(await runChecks({ sql: db.sql, config, now: new Date() }));
      expect(results.get('view mv_model_costs')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/missing/),
        fix: expect.stringMatching(/pulsebot migrate/),
      });
      expect(results.get('view mv_provider_performance')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/CONCURRENTLY/),
      });
      expect(results.get('view mv_daily_metrics')!.status).toBe('ok');
    });
  });

  it('lists the missing columns of an adopted api_usage, and its fix works', async () => {
    const db = await freshDatabase(target, { migrated: false });
    try {
      await db.sql`create table public.api_usage (id bigint, created_at timestamptz not null, user_id uuid, provider text, service_type text,
        model text, input_tokens int, output_tokens int, images int, video_seconds numeric, cost_usd numeric, latency_ms int, success boolean)`;
      const before = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('api_usage')!;
      expect(before.status).toBe('fail');
      expect(before.detail).toBe('missing error_code (text), is_synthetic (boolean)');
      await db.sql.unsafe(before.fix!);
      const after = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('api_usage')!;
      expect(after.status).toBe('ok');
    } finally {
      await db.close();
    }
  });

  it('reports an unusable column type', async () => {
    const db = await freshDatabase(target, { migrated: false });
    try {
      await db.sql`create table public.api_usage (created_at timestamp, user_id uuid, provider text, service_type text, model text,
        input_tokens int, output_tokens int, images int, video_seconds numeric, cost_usd text, latency_ms int, success boolean,
        error_code text, is_synthetic boolean)`;
      const r = byName(await runChecks({ sql: db.sql, config, now: new Date() })).get('api_usage')!;
      expect(r.detail).toBe(
        'unusable type created_at is timestamp without time zone, expected timestamptz; cost_usd is text, expected numeric(14,6)',
      );
    } finally {
      await db.close();
    }
  });

  it('explains an empty, unmigrated database without throwing', async () => {
    const db = await freshDatabase(target, { migrated: false });
    try {
      const results = byName(await runChecks({ sql: db.sql, config, now: new Date() }));
      expect(results.get('migrations')).toMatchObject({ status: 'fail', fix: 'run `pulsebot migrate`' });
      expect(results.get('api_usage')).toMatchObject({
        status: 'fail',
        detail: 'table public.api_usage does not exist',
      });
      expect(results.get('view mv_daily_metrics')).toMatchObject({ status: 'fail' });
      expect(results.get('refresh_analytics_views()')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/missing/),
      });
      expect(results.get('newest api_usage row')?.status).toBe('fail');
    } finally {
      await db.close();
    }
  });
});

describe('doctor output', () => {
  it('prints ✓/✗ lines with the fix under each failure, and a summary', () => {
    const text = formatChecks([
      { name: 'a', status: 'ok', detail: 'fine' },
      { name: 'bb', status: 'fail', detail: 'broken', fix: 'do this' },
      { name: 'c', status: 'warn', detail: 'slow', fix: 'index it' },
    ]);
    expect(text).toBe(
      [
        '✓ a   fine',
        '✗ bb  broken',
        '    fix: do this',
        '! c   slow',
        '    fix: index it',
        '',
        '1 of 3 checks failed',
      ].join('\n'),
    );
  });
});
