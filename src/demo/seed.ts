import type { Sql, TransactionSql } from '../db/connect.js';
import { PulsebotError, messageOf, pgFields } from '../errors.js';
import { generateUsage, planDemo, type DemoIncident, type DemoOptions, type DemoUsageRow } from './generate.js';

export interface SeedOptions extends DemoOptions {
  /** Keep synthetic rows from earlier runs instead of replacing them. */
  append: boolean;
  /** Write the calls without users (user_id null) and no subscriptions: for a user_id with a foreign key. */
  anonymous?: boolean;
}

export interface SeedResult {
  rows: number;
  users: number;
  subscriptions: number;
  removedRows: number;
  incidents: DemoIncident[];
}

const BATCH = 5_000;

/**
 * Writes demo data in one transaction: either all of it lands or none. Real rows are never
 * touched: only rows with is_synthetic and users recorded in pulsebot.synthetic_users are replaced.
 */
export async function seedDemo(sql: Sql, options: SeedOptions): Promise<SeedResult> {
  await assertSchema(sql);
  if (!options.anonymous) await refuseForeignKeys(sql);
  const generated = planDemo(options);
  const plan = options.anonymous ? { ...generated, subscriptions: [] } : generated;
  return sql
    .begin(async (tx) => {
      let removedRows = 0;
      if (!options.append) {
        removedRows = (await tx`delete from public.api_usage where is_synthetic`).count;
        await tx`delete from public.user_subscriptions where user_id in (select user_id from pulsebot.synthetic_users)`;
        await tx`delete from pulsebot.synthetic_users`;
      }
      if (!options.anonymous)
        await tx`insert into pulsebot.synthetic_users (user_id) select unnest(${plan.users}::text[]::uuid[]) on conflict do nothing`;
      const s = plan.subscriptions;
      await tx`
      insert into public.user_subscriptions (user_id, plan, status, monthly_amount_usd, started_at, canceled_at)
      select * from unnest(${s.map((x) => x.user_id)}::text[]::uuid[], ${s.map((x) => x.plan)}::text[],
                           ${s.map((x) => x.status)}::text[], ${s.map((x) => String(x.monthly_amount_usd))}::text[]::numeric[],
                           ${s.map((x) => x.started_at.toISOString())}::text[]::timestamptz[],
                           ${s.map((x) => x.canceled_at?.toISOString() ?? null)}::text[]::timestamptz[])`;
      let rows = 0;
      let batch: DemoUsageRow[] = [];
      for (const row of generateUsage(options, generated)) {
        batch.push(options.anonymous ? { ...row, user_id: null } : row);
        if (batch.length === BATCH) {
          rows += await insertUsage(tx, batch);
          batch = [];
        }
      }
      if (batch.length) rows += await insertUsage(tx, batch);
      return {
        rows,
        users: options.anonymous ? 0 : plan.users.length,
        subscriptions: s.length,
        removedRows,
        incidents: plan.incidents,
      };
    })
    .catch((cause: unknown) => {
      // A constraint refreshed after the check above, or on another column: still said in words.
      if (pgFields(cause).code === '23503') throw foreignKeyError(messageOf(cause), cause);
      throw cause;
    });
}

/**
 * Demo users are random ids: a user_id that references a users table (Supabase's auth.users,
 * say) rejects them. Refuse before writing anything, saying what to do instead.
 */
async function refuseForeignKeys(sql: Sql): Promise<void> {
  const refs = await sql<{ source: string; target: string }[]>`
    select c.conrelid::regclass::text || '.user_id' as source,
           c.confrelid::regclass::text || '(' || (select string_agg(a.attname, ', ') from pg_attribute a
                                                  where a.attrelid = c.confrelid and a.attnum = any (c.confkey)) || ')' as target
    from pg_constraint c
    where c.contype = 'f' and c.conrelid in (to_regclass('public.api_usage'), to_regclass('public.user_subscriptions'))
      and exists (select 1 from pg_attribute a where a.attrelid = c.conrelid and a.attnum = any (c.conkey) and a.attname = 'user_id')
    order by 1`;
  if (refs.length === 0) return;
  throw foreignKeyError(refs.map((r) => `${r.source} references ${r.target}`).join('; '));
}

function foreignKeyError(what: string, cause?: unknown): PulsebotError {
  return new PulsebotError(
    'USAGE',
    `demo users cannot be written here: ${what}, and the demo's users do not exist there`,
    {
      ...(cause === undefined ? {} : { cause }),
      hint:
        'run `pulsebot seed-demo --anonymous` to write the demo calls with user_id null (user counts stay 0), ' +
        'or create demo users in the referenced table first and seed a database without the constraint; ' +
        'never seed a production project',
    },
  );
}

/**
 * One statement per batch with a fixed number of array parameters, whatever the batch size.
 * Every array goes over the wire as text[] and the server converts it: postgres.js would
 * otherwise pick a serializer from the server-inferred type (a 'true' string becomes false).
 */
async function insertUsage(tx: TransactionSql, rows: DemoUsageRow[]): Promise<number> {
  const col = <T>(f: (r: DemoUsageRow) => T) => rows.map(f);
  const num = (v: number | null) => (v === null ? null : String(v));
  const result = await tx`
    insert into public.api_usage (created_at, user_id, provider, service_type, model, input_tokens, output_tokens,
                                  images, video_seconds, cost_usd, latency_ms, success, error_code, is_synthetic)
    select t.*, true from unnest(
      ${col((r) => r.created_at.toISOString())}::text[]::timestamptz[], ${col((r) => r.user_id)}::text[]::uuid[],
      ${col((r) => r.provider)}::text[], ${col((r) => r.service_type)}::text[], ${col((r) => r.model)}::text[],
      ${col((r) => num(r.input_tokens))}::text[]::integer[], ${col((r) => num(r.output_tokens))}::text[]::integer[],
      ${col((r) => num(r.images))}::text[]::integer[], ${col((r) => num(r.video_seconds))}::text[]::numeric[],
      ${col((r) => String(r.cost_usd))}::text[]::numeric[], ${col((r) => String(r.latency_ms))}::text[]::integer[],
      ${col((r) => (r.success ? 't' : 'f'))}::text[]::boolean[], ${col((r) => r.error_code)}::text[]
    ) as t`;
  return result.count;
}

async function assertSchema(sql: Sql): Promise<void> {
  const [row] = await sql<{ has_usage: boolean; has_flag: boolean; has_ledger: boolean }[]>`
    select to_regclass('public.api_usage') is not null as has_usage,
           exists (select 1 from pg_attribute where attrelid = to_regclass('public.api_usage')
                   and attname = 'is_synthetic' and not attisdropped) as has_flag,
           to_regclass('pulsebot.synthetic_users') is not null as has_ledger`;
  if (!row?.has_usage || !row.has_ledger) {
    throw new PulsebotError('SCHEMA_INCOMPATIBLE', 'the pulsebot schema is not installed in this database', {
      hint: 'run `pulsebot migrate` first',
    });
  }
  if (!row.has_flag) {
    throw new PulsebotError(
      'SCHEMA_INCOMPATIBLE',
      'api_usage has no is_synthetic column, so demo rows could not be told apart from real ones',
      {
        hint: 'ALTER TABLE public.api_usage ADD COLUMN is_synthetic boolean NOT NULL DEFAULT false;',
      },
    );
  }
}
