// npm run bench:refresh-parts -- [--rows 10000000] [--batches 3] [--runs 6]
//
// What the refresh's two parts (the measures and the user sets) cost alone and side by side, on
// the same detached batches: for each batch of 100k new rows (as bench:refresh makes them), the
// log is detached, then each part is folded alone and both at once on two connections,
// alternating which comes first, every fold rolled back; then the batch is folded for real. The
// difference is what the parts lose to sharing the machine (memory bandwidth, caches), which no
// schedule of the steps can win back. Uses the database bench:refresh loads (pulsebot_bench_<N>).
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { Rng } from '../src/demo/random.js';
import { compactIfDue } from '../src/db/refresh.js';
import type { Sql } from '../src/db/connect.js';
import { dbUrl, ensureLoaded, fmt, insertNewRows, median, restoreLoaded } from './dataset.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    batches: { type: 'string', default: '3' },
    runs: { type: 'string', default: '6' },
  },
});
const rows = Number(values.rows.replace(/_/g, ''));
const batches = Number(values.batches);
const runs = Number(values.runs);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl || !Number.isInteger(rows) || rows < 1000 || !(batches >= 1) || !(runs >= 1)) {
  console.error('usage: DATABASE_URL=postgres://… npm run bench:refresh-parts -- [--rows 10000000] [--batches 3] [--runs 6]');
  process.exit(2);
}

const db = await ensureLoaded(serverUrl, rows, false);
const url = dbUrl(serverUrl, `pulsebot_bench_${rows}`);
// One connection per part, kept for the whole run, as the pool's connections are kept by a daemon.
const connections = [0, 1].map(() => postgres(url, { max: 1, onnotice: () => {} }) as unknown as Sql);
const [first, second] = connections as [Sql, Sql];

async function step(name: string): Promise<void> {
  const [r] = await db.sql<{ outcome: string; error: string | null }[]>`
    select outcome, error from public.refresh_analytics_step(${name}, null)`;
  if (r!.outcome !== 'ok') throw new Error(`${name}: ${r!.error}`);
}

/** Folds one part of the detached batch as the refresh does, timed, then rolls it back. */
async function foldRolledBack(sql: Sql, part: 'measures' | 'users'): Promise<number> {
  let elapsed = 0;
  const rollback = new Error('rollback');
  await sql
    .begin(async (tx) => {
      // refresh_analytics_step()'s settings for a part.
      await tx`select set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`;
      const t0 = performance.now();
      await tx`select pulsebot.fold_taken(${part})`;
      elapsed = performance.now() - t0;
      throw rollback;
    })
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  return elapsed;
}

const times = { alone: { measures: [] as number[], users: [] as number[] }, together: { measures: [] as number[], users: [] as number[] } };
const rng = new Rng(`bench-parts-${Date.now()}`);
try {
  await db.sql`delete from public.api_usage where not is_synthetic`; // left by an interrupted run
  await db.sql`select * from public.refresh_analytics_views()`;
  for (let b = 0; b < batches; b++) {
    await insertNewRows(db.sql, rng, 100_000);
    await db.sql`checkpoint`;
    await step('detach');
    for (let r = 0; r < runs; r++) {
      const alone = async () => {
        times.alone.measures.push(await foldRolledBack(first, 'measures'));
        times.alone.users.push(await foldRolledBack(second, 'users'));
      };
      const together = async () => {
        const [m, u] = await Promise.all([foldRolledBack(first, 'measures'), foldRolledBack(second, 'users')]);
        times.together.measures.push(m);
        times.together.users.push(u);
      };
      if (r % 2) await together().then(alone);
      else await alone().then(together);
    }
    for (const s of ['measures', 'users', 'rollups']) await step(s);
    await compactIfDue(db.sql, { statementTimeoutSeconds: 3600 });
  }
} finally {
  await restoreLoaded(db.sql);
  await Promise.all([...connections.map((c) => c.end()), db.close()]);
}

const n = batches * runs;
console.log(`${rows.toLocaleString()} rows, ${batches} detached batches of 100k rows × ${runs} runs, each fold rolled back (medians of ${n}):`);
for (const part of ['measures', 'users'] as const) {
  const a = median(times.alone[part]);
  const t = median(times.together[part]);
  console.log(`    ${part.padEnd(8)} alone ${fmt(a)}, side by side ${fmt(t)} (${t >= a ? '+' : ''}${((t / a - 1) * 100).toFixed(1)}%)`);
}
const sumAlone = median(times.alone.measures) + median(times.alone.users);
const slower = Math.max(median(times.together.measures), median(times.together.users));
console.log(`    both parts: ${fmt(sumAlone)} one after the other, ${fmt(slower)} side by side (${(sumAlone / slower).toFixed(2)}× from the second core)`);
