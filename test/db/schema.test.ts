import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { describeSchema, freshSchemaText } from '../../src/db/describe-schema.js';
import { loadDefinitions, loadSchemaSource, migrate, migrationStatus } from '../../src/db/migrate.js';
import { SQL_DIR } from '../../src/db/migration-files.js';
import { refreshViews } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { migrateWithLegacyChain } from '../support/legacy-chain.js';

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of sql/ to change files in, as a developer would. */
function copyOfSqlDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsebot-sql-'));
  copies.push(dir);
  cpSync(SQL_DIR, dir, { recursive: true });
  return dir;
}

const USAGE_ROWS = `
  insert into public.api_usage (created_at, user_id, provider, service_type, model, input_tokens, output_tokens, cost_usd, latency_ms, success, error_code)
  select now() - make_interval(mins => g * 37), ('00000000-0000-4000-8000-' || lpad((g % 7)::text, 12, '0'))::uuid,
         case when g % 3 = 0 then 'anthropic' else 'openai' end, 'content', case when g % 2 = 0 then 'gpt-4o' else 'claude-sonnet' end,
         100 + g, 50 + g, (g % 11) * 0.0013, 200 + (g * 97) % 5000, g % 13 <> 0, case when g % 13 = 0 then 'server_error' end
  from generate_series(1, 400) g`;

describe('sql/schema.sql', () => {
  // Generated on PGlite (npm run schema:dump), so compared there; PostgreSQL 15 prints some
  // definitions differently. The upgrade test below compares full schemas on both.
  it('is what migrate leaves a fresh database with (run `npm run schema:dump` after changing sql/)', async () => {
    const db = await freshDatabase('pglite', { migrated: false });
    try {
      await migrate(db.sql);
      expect(await freshSchemaText(db.sql)).toBe(readFileSync(join(SQL_DIR, 'schema.sql'), 'utf8'));
    } finally {
      await db.close();
    }
  });
});

describe.each(TARGETS)('upgrading a database migrated by the numbered chain (%s)', (target) => {
  let upgraded: Database;
  let fresh: Database;
  let before: { date: string; total_requests: number; total_cost_usd: number; p95_latency_ms: number | null }[];
  const report = { converted: false, definitions: 0 };

  beforeAll(async () => {
    upgraded = await freshDatabase(target, { migrated: false });
    fresh = await freshDatabase(target, { migrated: false });
    await migrateWithLegacyChain(upgraded.sql);
    await upgraded.sql.unsafe(USAGE_ROWS);
    // Built by the chain's own functions, before the upgrade.
    await refreshViews(upgraded.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    before =
      await upgraded.sql`select date::text as date, total_requests, total_cost_usd, p95_latency_ms from public.mv_daily_metrics order by 1`;
    const r = await migrate(upgraded.sql);
    report.converted = r.convertedLegacyChain;
    report.definitions = r.definitions.length;
    await migrate(fresh.sql);
  });
  afterAll(async () => {
    await upgraded?.close();
    await fresh?.close();
  });

  it('is recognised, converted to the baseline, and every definition applied', async () => {
    expect(report).toEqual({ converted: true, definitions: loadDefinitions().length });
    const ledger = await upgraded.sql<
      { id: number; name: string }[]
    >`select id, name from pulsebot.migrations order by id`;
    expect(ledger).toEqual([
      { id: 1, name: 'baseline' },
      { id: 2, name: 'rls_on_created_tables' },
      { id: 3, name: 'odd_row_counters' },
      { id: 4, name: 'failures_without_error_code' },
      { id: 5, name: 'outbox_pagerduty_webhook' },
      { id: 6, name: 'alert_actions' },
    ]);
    const status = await migrationStatus(upgraded.sql);
    expect({ pending: status.pending, definitions: status.pendingDefinitions, legacy: status.legacyChain }).toEqual({
      pending: [],
      definitions: [],
      legacy: false,
    });
  });

  it('ends with exactly the schema of a fresh install: tables, columns, indexes, functions, views, triggers, grants', async () => {
    expect(await describeSchema(upgraded.sql)).toBe(await describeSchema(fresh.sql));
  });

  it('keeps its data: the views give the same figures after a refresh by the new definitions', async () => {
    await upgraded.sql.unsafe(`insert into public.api_usage (created_at, provider, service_type, model, cost_usd, latency_ms, success)
                               values (now() - interval '400 days', 'openai', 'content', 'gpt-4o', 1, 100, true)`);
    const results = await refreshViews(upgraded.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 60 });
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    const after =
      await upgraded.sql`select date::text as date, total_requests, total_cost_usd, p95_latency_ms from public.mv_daily_metrics order by 1`;
    expect(after).toEqual(before);
    expect(before.reduce((n, r) => n + r.total_requests, 0)).toBe(400);
  });
});

describe.each(TARGETS)('numbered migrations and definitions (%s)', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target, { migrated: false });
  });
  afterAll(() => db.close());

  it('refuses a database left part-way through the numbered chain, naming the build to finish it with', async () => {
    const partial = await freshDatabase(target, { migrated: false });
    try {
      await migrateWithLegacyChain(partial.sql, 20);
      await expect(migrate(partial.sql)).rejects.toMatchObject({
        code: 'SCHEMA_INCOMPATIBLE',
        message: expect.stringMatching(/up to its migration 20 of 28/),
      });
      const rows = await partial.sql<{ id: number }[]>`select id from pulsebot.migrations order by id`;
      expect(rows).toHaveLength(20);
    } finally {
      await partial.close();
    }
  });

  it('refuses to run when an applied migration file has changed, naming the file', async () => {
    await migrate(db.sql);
    const dir = copyOfSqlDir();
    writeFileSync(
      join(dir, 'migrations', '000001_baseline.sql'),
      `${readFileSync(join(dir, 'migrations', '000001_baseline.sql'), 'utf8')}\n-- edited\n`,
    );
    await expect(migrate(db.sql, loadSchemaSource(dir))).rejects.toMatchObject({
      code: 'MIGRATION_INVALID',
      message: expect.stringContaining('sql/migrations/000001_baseline.sql has changed'),
    });
    expect((await migrationStatus(db.sql, loadSchemaSource(dir))).changed).toEqual(['000001_baseline.sql']);
  });

  it('applies a changed definition again, and a dashboard view keeps its grants', async () => {
    await migrate(db.sql);
    const role = `pulsebot_reader_${Math.random().toString(36).slice(2, 8)}`;
    await db.sql.unsafe(`create role ${role} nologin; grant select on public.mv_model_costs to ${role}`);
    try {
      const dir = copyOfSqlDir();
      const view = join(dir, 'views', 'mv_model_costs.sql');
      writeFileSync(
        view,
        readFileSync(view, 'utf8').replace(
          'coalesce(u.unique_users, 0)::bigint as unique_users',
          'coalesce(u.unique_users, 0)::bigint as unique_users, 1 as probe',
        ),
      );
      const fn = join(dir, 'functions', 'latency_coarse.sql');
      writeFileSync(fn, `-- a comment changes the checksum\n${readFileSync(fn, 'utf8')}`);
      const source = loadSchemaSource(dir);
      expect((await migrationStatus(db.sql, source)).pendingDefinitions).toEqual([
        'functions/latency_coarse.sql',
        'views/mv_model_costs.sql',
      ]);
      const report = await migrate(db.sql, source);
      expect(report.definitions.map((d) => d.path)).toEqual([
        'functions/latency_coarse.sql',
        'views/mv_model_costs.sql',
      ]);
      const [row] = await db.sql<{ probe: boolean; readable: boolean }[]>`
        select exists (select 1 from pg_attribute where attrelid = 'public.mv_model_costs'::regclass and attname = 'probe') as probe,
               has_table_privilege(${role}, 'public.mv_model_costs', 'select') as readable`;
      expect(row).toEqual({ probe: true, readable: true });
      // And back: the repository's definition replaces the changed one.
      expect((await migrate(db.sql)).definitions.map((d) => d.path)).toEqual([
        'functions/latency_coarse.sql',
        'views/mv_model_costs.sql',
      ]);
    } finally {
      await db.sql.unsafe(`drop owned by ${role}; drop role if exists ${role}`);
    }
  });
});

describe('sql/definitions.txt', () => {
  it('must list every definition file, each once, and only files that exist', () => {
    const unlisted = copyOfSqlDir();
    writeFileSync(join(unlisted, 'functions', 'forgotten.sql'), 'select 1;');
    expect(() => loadDefinitions(unlisted)).toThrow(/functions\/forgotten.sql is not listed/);

    const missing = copyOfSqlDir();
    writeFileSync(
      join(missing, 'definitions.txt'),
      `${readFileSync(join(missing, 'definitions.txt'), 'utf8')}functions/nowhere.sql\n`,
    );
    expect(() => loadDefinitions(missing)).toThrow(/nowhere.sql, which does not exist/);

    const twice = copyOfSqlDir();
    writeFileSync(
      join(twice, 'definitions.txt'),
      `${readFileSync(join(twice, 'definitions.txt'), 'utf8')}functions/fold_changes.sql\n`,
    );
    expect(() => loadDefinitions(twice)).toThrow(/lists functions\/fold_changes.sql twice/);
  });
});
