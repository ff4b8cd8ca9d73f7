// The benchmark dataset shared by the benches: a database pulsebot_bench_<N> on the server of
// DATABASE_URL with N rows of realistic demo data over 90 days, loaded once and kept.
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { parseDatabaseUrl } from '../src/config/env.js';
import { openDatabase, type Database } from '../src/db/connect.js';
import type { Sql } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import type { Rng } from '../src/demo/random.js';
import { generateUsage, planDemo, type DemoUsageRow } from '../src/demo/generate.js';

export const COLUMNS = ['created_at', 'user_id', 'provider', 'service_type', 'model', 'input_tokens', 'output_tokens', 'images',
  'video_seconds', 'cost_usd', 'latency_ms', 'success', 'error_code', 'is_synthetic'] as const;
export const CAPTURE = ['pulsebot_capture_insert', 'pulsebot_capture_update', 'pulsebot_capture_delete'];
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
export const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

export function dbUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function tsv(r: DemoUsageRow): string {
  const v = (x: unknown) => (x === null || x === undefined ? '\\N' : String(x));
  return [r.created_at.toISOString(), v(r.user_id), r.provider, r.service_type, r.model, v(r.input_tokens), v(r.output_tokens),
    v(r.images), v(r.video_seconds), String(r.cost_usd), String(r.latency_ms), r.success ? 't' : 'f', v(r.error_code), 't'].join('\t');
}

export async function ensureLoaded(serverUrl: string, rows: number, fresh: boolean): Promise<Database> {
  const name = `pulsebot_bench_${rows}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
  if (exists && fresh) await admin`drop database ${admin(name)} with (force)`;
  if (!exists || fresh) await admin`create database ${admin(name)}`;
  await admin.end();
  const db = await openDatabase(parseDatabaseUrl(dbUrl(serverUrl, name), 'DATABASE_URL'), { poolMax: 4, connectTimeoutSeconds: 10, statementTimeoutSeconds: 3600 });
  await migrate(db.sql);
  const [loaded] = await db.sql<{ n: number }[]>`select coalesce((select value::bigint from pulsebot.settings where key = 'bench_loaded_rows'), 0) as n`;
  if (loaded!.n === rows) return db;

  console.log(`loading ${rows.toLocaleString()} rows into ${name} …`);
  let t0 = process.hrtime.bigint();
  await db.sql`truncate public.api_usage`;
  // Bulk load without capture, then one rebuild: how an existing table is adopted.
  for (const t of CAPTURE) await db.sql`alter table public.api_usage disable trigger ${db.sql(t)}`;
  const options = { now: new Date(), days: 90, rowsPerDay: Math.round(rows / 90), seed: `bench-${rows}` };
  const stream = await db.sql`copy public.api_usage (${db.sql(COLUMNS as unknown as string[])}) from stdin`.writable();
  let buffer: string[] = [];
  const flush = async () => {
    const chunk = `${buffer.join('\n')}\n`;
    buffer = [];
    if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
  };
  for (const row of generateUsage(options, planDemo(options))) {
    buffer.push(tsv(row));
    if (buffer.length === 10_000) await flush();
  }
  if (buffer.length) await flush();
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  for (const t of CAPTURE) await db.sql`alter table public.api_usage enable trigger ${db.sql(t)}`;
  const [{ n }] = (await db.sql`select count(*)::bigint as n from public.api_usage`) as unknown as [{ n: number }];
  console.log(`  copied ${n.toLocaleString()} rows in ${fmt(ms(t0))}`);
  await db.sql`vacuum analyze public.api_usage`;

  t0 = process.hrtime.bigint();
  await db.sql`update pulsebot.rollup_state set needs_rebuild = true`;
  await db.sql`select set_config('statement_timeout', '0', false)`;
  await db.sql`select * from public.refresh_analytics_views()`;
  await db.sql`vacuum analyze`;
  console.log(`  initial rollup build (one-off, on adoption): ${fmt(ms(t0))}`);
  await db.sql.unsafe(oldViewsSql());
  await db.sql`insert into pulsebot.settings (key, value) values ('bench_loaded_rows', ${String(rows)})
               on conflict (key) do update set value = excluded.value`;
  return db;
}

/** Back to the table as loaded: the rows a run inserted removed (and folded out), vacuumed. */
export async function restoreLoaded(sql: Sql): Promise<void> {
  await sql`delete from public.api_usage where not is_synthetic`;
  await sql`select * from public.refresh_analytics_views()`;
  await sql`vacuum analyze`;
}

/**
 * The common approach pulsebot replaces: the three views as materialized views over raw
 * api_usage, every refresh rescanning the window. Taken from pulsebot's own first version
 * (migration 000004), renamed into a schema of their own.
 */
export function oldViewsSql(): string {
  const migration = readFileSync(new URL('../sql/migrations/000004_dashboard_views.sql', import.meta.url), 'utf8');
  const views = migration.slice(migration.indexOf('create materialized view public.mv_daily_metrics'), migration.indexOf('select pulsebot.restore_grants'));
  // MATERIALIZED: evaluate the day boundary once, not per row (a fair baseline is a fast one).
  return `drop schema if exists bench_old cascade;\ncreate schema bench_old;\n${views
    .replace(/with bounds as \(/g, 'with bounds as materialized (')
    .replace(/public\.mv_/g, 'bench_old.mv_')
    .replace(/create unique index \w+ on/g, 'create unique index on')}`;
}

/**
 * The refresh benchmark's batch: `count` new rows, 90% in the last 5 minutes and 10% back-dated at
 * random across 90 days, written as the application would.
 */
export async function insertNewRows(sql: Sql, rng: Rng, count: number): Promise<void> {
  const now = Date.now();
  // The same traffic at every table size: one day of the 10M-row dataset's shape (its ~16,700
  // users), so the comparison across sizes isolates the size of api_usage.
  const options = { now: new Date(now), days: 1, rowsPerDay: Math.max(count, 111_111) * 1.3, seed: 'bench-new-traffic' };
  const plan = planDemo({ ...options, rowsPerDay: 111_111 });
  const rows: DemoUsageRow[] = [];
  // A weekend day brings fewer rows (the generator's weekly shape): the day before makes up the rest.
  for (let back = 0; rows.length < count; back++) {
    for (const row of generateUsage({ ...options, now: new Date(now - back * 86_400_000) }, plan)) {
      const created = rng.chance(0.1) ? now - rng.uniform(0, 90 * 86_400_000) : now - rng.uniform(0, 5 * 60_000);
      rows.push({ ...row, created_at: new Date(created) });
      if (rows.length === count) break;
    }
  }
  // The application's shape: multi-row INSERT statements of 1,000 rows.
  for (let i = 0; i < rows.length; i += 1000) {
    // Loaded rows are is_synthetic; these are not, so the run can remove them again at the end.
    const batch = rows.slice(i, i + 1000).map((r) => ({ ...r, is_synthetic: false })) as unknown as Record<string, unknown>[];
    await sql`insert into public.api_usage ${sql(batch as never)}`;
  }
}
