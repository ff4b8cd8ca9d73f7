import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { describeSchema } from '../../src/db/describe-schema.js';
import { loadDefinitions, loadMigrations, migrate, migrationStatus } from '../../src/db/migrate.js';
import { refreshViews } from '../../src/db/refresh.js';
import { PulsebotError } from '../../src/errors.js';
import { runCli } from '../support/cli.js';
import { TARGETS, freshDatabase, freshEnvironment } from '../support/databases.js';

const known = loadMigrations().length;

describe.each(TARGETS)('migrations on %s', (target) => {
  describe('on an empty database', () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(target, { migrated: false });
    });
    afterAll(() => db.close());

    it('applies every migration once, and a second run is a no-op', async () => {
      const first = await migrate(db.sql);
      expect(first.applied.map((m) => m.id)).toEqual(Array.from({ length: known }, (_, i) => i + 1));
      expect(first.definitions.map((d) => d.path)).toEqual(loadDefinitions().map((d) => d.path));
      const before = await describeSchema(db.sql);
      const second = await migrate(db.sql);
      expect(second.applied).toEqual([]);
      expect(second.definitions).toEqual([]);
      expect(second.alreadyApplied).toBe(known);
      expect(await describeSchema(db.sql)).toBe(before);
      const ledger = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.migrations`;
      expect(ledger[0]!.n).toBe(known);
    });

    it('refuses a database migrated by a newer pulsebot, changing nothing', async () => {
      await db.sql`insert into pulsebot.migrations (id, name, checksum) values (${known + 1}, 'from_the_future', 'x')`;
      await expect(migrate(db.sql)).rejects.toMatchObject({ code: 'DB_NEWER_THAN_CODE' });
      const status = await migrationStatus(db.sql);
      expect(status.newer).toEqual([known + 1]);
      await db.sql`delete from pulsebot.migrations where id = ${known + 1}`;
    });
  });

  // One PGlite session serialises everything, so the race is only real on PostgreSQL.
  it.runIf(target === 'postgres')(
    'two migrators at once apply each migration and definition exactly once',
    async () => {
      const db = await freshDatabase(target, { migrated: false });
      try {
        // Separate transactions on separate pooled connections: a real race.
        const [a, b] = await Promise.all([migrate(db.sql), migrate(db.sql)]);
        expect(a.applied.length + b.applied.length).toBe(known);
        expect(a.definitions.length + b.definitions.length).toBe(loadDefinitions().length);
        const rows = await db.sql<{ id: number }[]>`select id from pulsebot.migrations order by id`;
        expect(rows.map((r) => r.id)).toEqual(Array.from({ length: known }, (_, i) => i + 1));
      } finally {
        await db.close();
      }
    },
  );

  describe('adopting an existing api_usage', () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(target, { migrated: false });
      // A user's own table: other column order, an extra column, no is_synthetic or error_code.
      await db.sql.unsafe(`
        create table public.api_usage (
          id uuid primary key default gen_random_uuid(),
          request_id text,
          provider text not null, model text not null, service_type text not null,
          user_id uuid, created_at timestamptz not null default now(),
          input_tokens integer, output_tokens integer, images integer, video_seconds numeric,
          cost_usd numeric(10,4) not null, latency_ms integer, success boolean not null
        );
        insert into public.api_usage (request_id, provider, model, service_type, user_id, created_at, input_tokens, output_tokens, cost_usd, latency_ms, success)
        values ('r1', 'openai', 'gpt-4o', 'content', '00000000-0000-4000-8000-000000000001', now() - interval '1 hour', 1000, 500, 0.0075, 900, true),
               ('r2', 'openai', 'gpt-4o', 'content', '00000000-0000-4000-8000-000000000002', now() - interval '2 hours', 2000, 100, 0.006, 1200, false);`);
      await migrate(db.sql);
    });
    afterAll(() => db.close());

    it('keeps its rows and its columns exactly as they were', async () => {
      const cols = await db.sql<{ name: string }[]>`
        select attname as name from pg_attribute where attrelid = 'public.api_usage'::regclass and attnum > 0 and not attisdropped order by attnum`;
      expect(cols.map((c) => c.name)).toEqual([
        'id',
        'request_id',
        'provider',
        'model',
        'service_type',
        'user_id',
        'created_at',
        'input_tokens',
        'output_tokens',
        'images',
        'video_seconds',
        'cost_usd',
        'latency_ms',
        'success',
      ]);
      const rows = await db.sql<
        { request_id: string; cost_usd: number }[]
      >`select request_id, cost_usd from public.api_usage order by request_id`;
      expect(rows).toEqual([
        { request_id: 'r1', cost_usd: 0.0075 },
        { request_id: 'r2', cost_usd: 0.006 },
      ]);
    });

    it('builds the dashboard views over it', async () => {
      const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
      expect(results.every((r) => r.outcome === 'ok')).toBe(true);
      const [m] = await db.sql<{ total_requests: number; total_cost_usd: number }[]>`
        select total_requests, total_cost_usd from public.mv_model_costs where model = 'gpt-4o'`;
      expect(m).toEqual({ total_requests: 2, total_cost_usd: 0.0135 });
    });
  });

  it('stops with a clear error when api_usage lacks a column the views need, changing nothing', async () => {
    const db = await freshDatabase(target, { migrated: false });
    try {
      await db.sql`create table public.api_usage (id bigint, created_at timestamptz, provider text, model text, service_type text, success boolean)`;
      const error = await migrate(db.sql).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PulsebotError);
      expect((error as PulsebotError).code).toBe('MIGRATION_FAILED');
      expect((error as PulsebotError).message).toMatch(/cost_usd/);
      expect((error as PulsebotError).message).toMatch(/latency_ms/);
      const status = await migrationStatus(db.sql);
      expect(status.applied).toEqual([]);
      expect(await db.sql`select 1 from pg_matviews where matviewname = 'mv_daily_metrics'`).toHaveLength(0);
      expect(await db.sql`select to_regclass('pulsebot.rollup_state') as t`).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });

  it('replaces earlier views of the same names and grants their privileges again', async () => {
    const db = await freshDatabase(target, { migrated: false });
    const role = `pulsebot_dash_${Math.random().toString(36).slice(2, 8)}`;
    try {
      await db.sql.unsafe(`
        create table public.api_usage (id bigint, created_at timestamptz not null, user_id uuid, provider text, service_type text,
          model text, input_tokens int, output_tokens int, images int, video_seconds numeric, cost_usd numeric,
          latency_ms int, success boolean);
        create view public.mv_daily_metrics as select 1 as x;
        create materialized view public.mv_model_costs as select 2 as y;
        create role ${role} nologin;
        grant select on public.mv_daily_metrics to ${role};
        grant select on public.mv_model_costs to ${role};`);
      await migrate(db.sql);
      const rows = await db.sql<{ name: string; kind: string; can_read: boolean }[]>`
        select c.relname as name, c.relkind::text as kind, has_table_privilege(${role}, c.oid, 'select') as can_read
        from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname like 'mv\\_%' and c.relkind in ('m', 'v') order by 1`;
      expect(rows).toEqual([
        { name: 'mv_daily_metrics', kind: 'm', can_read: true },
        { name: 'mv_model_costs', kind: 'm', can_read: true },
        { name: 'mv_provider_performance', kind: 'm', can_read: false },
      ]);
    } finally {
      await db.sql.unsafe(`drop owned by ${role}; drop role if exists ${role}`).catch(() => {});
      await db.close();
    }
  });

  it('refuses to replace a view something else depends on', async () => {
    const db = await freshDatabase(target, { migrated: false });
    try {
      await db.sql.unsafe(`
        create table public.api_usage (id bigint, created_at timestamptz not null, user_id uuid, provider text, service_type text,
          model text, input_tokens int, output_tokens int, images int, video_seconds numeric, cost_usd numeric,
          latency_ms int, success boolean);
        create materialized view public.mv_daily_metrics as select now()::date as date;
        create view public.weekly_report as select * from public.mv_daily_metrics;`);
      await expect(migrate(db.sql)).rejects.toThrow(/weekly_report|depend/);
      expect(await db.sql`select 1 from pg_views where viewname = 'weekly_report'`).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

describe.runIf(TARGETS.includes('postgres'))('migrations from two processes at once', () => {
  it('both exit 0 and the ledger holds each migration once', async () => {
    const env = await freshEnvironment('postgres', { migrated: false });
    try {
      const [a, b] = await Promise.all([runCli(['migrate'], { env: env.env }), runCli(['migrate'], { env: env.env })]);
      expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, '']);
      const db = await env.open();
      const rows = await db.sql<{ id: number }[]>`select id from pulsebot.migrations order by id`;
      await db.close();
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: known }, (_, i) => i + 1));
    } finally {
      await env.cleanup();
    }
  });
});

describe('migration files', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** An sql/ folder whose migrations/ holds the given files. */
  function dirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'pulsebot-mig-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'migrations'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), text);
    return dir;
  }

  it('must be numbered without gaps', () => {
    expect(() => loadMigrations(dirWith({ '000001_a.sql': 'select 1;', '000003_c.sql': 'select 1;' }))).toThrow(
      /without gaps/,
    );
  });

  it('must be named NNNNNN_name.sql', () => {
    expect(() => loadMigrations(dirWith({ '1-first.sql': 'select 1;' }))).toThrow(/NNNNNN_name/);
  });

  it('must not contain their own transaction control', () => {
    expect(() => loadMigrations(dirWith({ '000001_a.sql': 'begin;\ncreate table t (x int);\ncommit;' }))).toThrow(
      /transaction control/,
    );
  });
});
