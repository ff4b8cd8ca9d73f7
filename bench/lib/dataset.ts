// The benchmark dataset shared by the benches: a database pulsebot_bench_<N> on the server of
// DATABASE_URL with N rows of realistic demo data over 90 days, loaded once and kept.
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { parseDatabaseUrl } from '../../src/config/env.js';
import { type Database, openDatabase, type Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { type DemoUsageRow, generateUsage, planDemo } from '../../src/demo/generate.js';
import type { Rng } from '../../src/demo/random.js';
import { formatValue } from './metric.js';
import { msSince } from './stats.js';

const COLUMNS = [
  'created_at',
  'user_id',
  'provider',
  'service_type',
  'model',
  'input_tokens',
  'output_tokens',
  'images',
  'video_seconds',
  'cost_usd',
  'latency_ms',
  'success',
  'error_code',
  'is_synthetic',
] as const;
export const CAPTURE = ['pulsebot_capture_insert', 'pulsebot_capture_update', 'pulsebot_capture_delete'];
const BENCH_POOL = { poolMax: 4, connectTimeoutSeconds: 10, statementTimeoutSeconds: 3600 };
const fmt = (x: number) => formatValue(x, 'ms');

export const datasetName = (rows: number) => `pulsebot_bench_${rows}`;

/** `1M`, `10M`, `20k`: the size in a metric's name. */
export function sizeLabel(rows: number): string {
  if (rows >= 1e6 && rows % 1e5 === 0) return `${rows / 1e6}M`;
  if (rows >= 1e3 && rows % 100 === 0) return `${rows / 1e3}k`;
  return String(rows);
}

export async function serverVersion(sql: Sql): Promise<string> {
  const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
  return row!.v;
}

export function dbUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function tsv(r: DemoUsageRow): string {
  const v = (x: unknown) => (x === null || x === undefined ? '\\N' : String(x));
  return [
    r.created_at.toISOString(),
    v(r.user_id),
    r.provider,
    r.service_type,
    r.model,
    v(r.input_tokens),
    v(r.output_tokens),
    v(r.images),
    v(r.video_seconds),
    String(r.cost_usd),
    String(r.latency_ms),
    r.success ? 't' : 'f',
    v(r.error_code),
    't',
  ].join('\t');
}

export async function ensureLoaded(serverUrl: string, rows: number, fresh: boolean): Promise<Database> {
  const name = datasetName(rows);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
  if (exists && fresh) await admin`drop database ${admin(name)} with (force)`;
  if (!exists || fresh) await admin`create database ${admin(name)}`;
  await admin.end();
  const db = await openDatabase(parseDatabaseUrl(dbUrl(serverUrl, name), 'DATABASE_URL'), BENCH_POOL);
  await migrate(db.sql);
  const [loaded] = await db.sql<
    { n: number }[]
  >`select coalesce((select value::bigint from pulsebot.settings where key = 'bench_loaded_rows'), 0) as n`;
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
  console.log(`  copied ${n.toLocaleString()} rows in ${fmt(msSince(t0))}`);
  await db.sql`vacuum analyze public.api_usage`;

  t0 = process.hrtime.bigint();
  await db.sql`update pulsebot.rollup_state set needs_rebuild = true`;
  await db.sql`select set_config('statement_timeout', '0', false)`;
  await db.sql`select * from public.refresh_analytics_views()`;
  await db.sql`vacuum analyze`;
  console.log(`  initial rollup build (one-off, on adoption): ${fmt(msSince(t0))}`);
  await db.sql.unsafe(oldViewsSql());
  await db.sql`insert into pulsebot.settings (key, value) values ('bench_loaded_rows', ${String(rows)})
               on conflict (key) do update set value = excluded.value`;
  return db;
}

/**
 * A dataset loaded before, under any name (e.g. a clone made to compare two versions of the code
 * on the same rows), used as it is: not migrated, not reloaded. Returns the rows it was loaded with.
 */
export async function openLoaded(serverUrl: string, name: string): Promise<{ db: Database; rows: number }> {
  const db = await openDatabase(parseDatabaseUrl(dbUrl(serverUrl, name), 'DATABASE_URL'), BENCH_POOL);
  const [row] = await db.sql<{ n: number | null }[]>`
    select (select value::bigint from pulsebot.settings where key = 'bench_loaded_rows') as n`.catch(() => [
    { n: null },
  ]);
  if (!row?.n) {
    await db.close();
    throw new Error(`${name} is not a loaded bench dataset (no bench_loaded_rows in pulsebot.settings)`);
  }
  return { db, rows: row.n };
}

/** Back to the table as loaded: the rows a run inserted removed (and folded out), vacuumed. */
export async function restoreLoaded(sql: Sql): Promise<void> {
  await sql`delete from public.api_usage where not is_synthetic`;
  await sql`select * from public.refresh_analytics_views()`;
  await sql`vacuum analyze`;
}

/** The common approach pulsebot replaces, the refresh bench's baseline (see old-views.sql). */
function oldViewsSql(): string {
  return readFileSync(new URL('./old-views.sql', import.meta.url), 'utf8');
}

/**
 * The refresh benchmark's batch: `count` new rows, 90% in the last 5 minutes and 10% back-dated at
 * random across 90 days, written as the application would.
 */
export async function insertNewRows(sql: Sql, rng: Rng, count: number): Promise<void> {
  const now = Date.now();
  // The same traffic at every table size: one day of the 10M-row dataset's shape (its ~16,700
  // users), so the comparison across sizes isolates the size of api_usage.
  const options = {
    now: new Date(now),
    days: 1,
    rowsPerDay: Math.max(count, 111_111) * 1.3,
    seed: 'bench-new-traffic',
  };
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
    const batch = rows.slice(i, i + 1000).map((r) => ({ ...r, is_synthetic: false })) as unknown as Record<
      string,
      unknown
    >[];
    await sql`insert into public.api_usage ${sql(batch as never)}`;
  }
}
