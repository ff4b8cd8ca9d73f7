import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { refreshViews } from '../../src/db/refresh.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { compareWithReference } from '../support/reference-views.js';

/**
 * The capture triggers run with the rights of pulsebot's schema owner (SECURITY DEFINER) and,
 * since 000025, with the writer's search_path. A writer who puts a schema of its own before
 * pg_catalog can offer operators and functions that would win over the built-in ones wherever
 * SQL is parsed under that path. Every one of them here records that it ran, and as whom.
 */
const HOSTILE = (schema: string) => `
  create table ${schema}.calls (fn text, by_role text);
  grant insert on ${schema}.calls to public;
  create function ${schema}.note(fn text) returns void language plpgsql as
    $b$ begin insert into ${schema}.calls values (fn, current_user); end $b$;
  -- latency_bin's comparison and division, dim_key's concatenation, millionths' abs, <= and *:
  -- each an exact match for the argument types those helpers' SQL has, so it wins over
  -- pg_catalog's wherever that SQL is parsed with this schema first.
  create function ${schema}.le(double precision, integer) returns boolean language plpgsql as
    $b$ begin perform ${schema}.note('<= (float8, int)'); return $1 <= $2::double precision; end $b$;
  create operator ${schema}.<= (leftarg = double precision, rightarg = integer, function = ${schema}.le);
  create function ${schema}.div(double precision, numeric) returns double precision language plpgsql as
    $b$ begin perform ${schema}.note('/ (float8, numeric)'); return $1 / $2::double precision; end $b$;
  create operator ${schema}./ (leftarg = double precision, rightarg = numeric, function = ${schema}.div);
  create function ${schema}.cat(text, text) returns text language plpgsql as
    $b$ begin perform ${schema}.note('|| (text, text)'); return pg_catalog.textcat($1, $2); end $b$;
  create operator ${schema}.|| (leftarg = text, rightarg = text, function = ${schema}.cat);
  create function ${schema}.int_le(integer, integer) returns boolean language plpgsql as
    $b$ begin perform ${schema}.note('<= (int, int)'); return pg_catalog.int4le($1, $2); end $b$;
  create operator ${schema}.<= (leftarg = integer, rightarg = integer, function = ${schema}.int_le);
  create function ${schema}.mul(numeric, integer) returns numeric language plpgsql as
    $b$ begin perform ${schema}.note('* (numeric, int)'); return pg_catalog.numeric_mul($1, $2::numeric); end $b$;
  create operator ${schema}.* (leftarg = numeric, rightarg = integer, function = ${schema}.mul);
  create function ${schema}.abs(numeric) returns numeric language plpgsql as
    $b$ begin perform ${schema}.note('abs(numeric)'); return pg_catalog.abs($1); end $b$;
  -- Relations named like the triggers' transition tables.
  create table ${schema}.new_rows (like public.api_usage including defaults);
  create table ${schema}.old_rows (like public.api_usage including defaults);
  insert into ${schema}.new_rows (id, created_at, provider, service_type, model, cost_usd, success) values (-1, now(), 'hostile', 'content', 'x', 1000, true);
  insert into ${schema}.old_rows (id, created_at, provider, service_type, model, cost_usd, success) values (-2, now(), 'hostile', 'content', 'x', 1000, true);`;

describe.each(TARGETS)('change capture with a writer of its own on %s', (target) => {
  let db: Database;
  const suffix = `${process.pid}_${Date.now()}`;
  const writer = `pb_writer_${suffix}`;
  const schema = `hostile_${suffix}`;

  beforeAll(async () => {
    db = await freshDatabase(target);
    await db.sql.unsafe(`
      create role ${writer} nologin;
      grant usage on schema public to ${writer};
      grant select, insert, update, delete on public.api_usage to ${writer};
      -- The api_usage pulsebot created has row-level security: an application role needs a policy.
      create policy writer_all on public.api_usage for all to ${writer} using (true) with check (true);`);
    // The writer owns the hostile schema and everything in it.
    await db.sql.unsafe(`create schema ${schema} authorization ${writer}`);
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${writer}`);
      await tx.unsafe(HOSTILE(schema));
    });
  });
  afterAll(async () => {
    await db.sql.unsafe(`drop schema ${schema} cascade; drop owned by ${writer}; drop role ${writer}`).catch(() => {});
    await db.close();
  });

  it('writes through the triggers with no grant on pulsebot, and none of its operators or relations is used', async () => {
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${writer}`);
      await tx.unsafe(`set local search_path = ${schema}, pg_catalog, public`);
      // Temporary tables come first in any search_path for relations.
      await tx.unsafe(
        `create temp table new_rows (like public.api_usage including defaults); create temp table old_rows (like public.api_usage including defaults)`,
      );
      await tx.unsafe(
        `insert into new_rows (id, created_at, provider, service_type, model, cost_usd, success) values (-3, now(), 'temp', 'content', 'x', 1000, true)`,
      );
      await tx.unsafe(`
        insert into public.api_usage (created_at, user_id, provider, service_type, model, input_tokens, output_tokens, video_seconds, cost_usd, latency_ms, success, error_code)
        values (now() - interval '1 hour', '00000000-0000-0000-0000-000000000001', 'openai', 'content', 'gpt-4o-mini', 800, 300, null, 0.000300, 420, true, null),
               (now() - interval '3 days', '00000000-0000-0000-0000-000000000002', 'runway', 'video', 'gen-3', null, null, 5.5, 0.250000, 30000, true, null),
               (now() - interval '2 hours', '00000000-0000-0000-0000-000000000003', 'anthropic', 'content', 'claude', 1200, 0, null, 0.004200, 0, false, 'rate_limited')`);
      await tx.unsafe(`update public.api_usage set latency_ms = 910, cost_usd = 0.000450 where provider = 'openai'`);
      await tx.unsafe(`delete from public.api_usage where provider = 'anthropic'`);
      await tx.unsafe(
        `insert into public.api_usage (provider, service_type, model, cost_usd, latency_ms, success) values ('openai', 'images', 'gpt-image-1', 0.040000, 7000, true)`,
      );
    });

    const calls = await db.sql.unsafe(`select fn, by_role from ${schema}.calls`);
    expect(calls).toEqual([]);
    const results = await refreshViews(db.sql, { dashboardTimezone: 'UTC', statementTimeoutSeconds: 120 });
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(await compareWithReference(db.sql)).toEqual([]);
    // The three rows left, by hand: 0.000450 + 0.250000 + 0.040000.
    const [totals] = await db.sql<{ requests: number; cost: string }[]>`
      select sum(total_requests)::int as requests, sum(total_cost_usd)::numeric(14,6)::text as cost from public.mv_daily_metrics`;
    expect(totals).toEqual({ requests: 3, cost: '0.290450' });
  });
});
