// npm run bench -- refresh-parts [--rows 10000000] [--batches 3] [--runs 6] [--database-name <db>]
//
// What the refresh's two parts (the measures and the user sets) cost alone and side by side, on
// the same detached batches: for each batch of 100k new rows (as the refresh bench makes them),
// the log is detached, then each part is folded alone and both at once on two connections,
// alternating which comes first, every fold rolled back; then the batch is folded for real. The
// difference is what the parts lose to sharing the machine (memory bandwidth, caches), which no
// schedule of the steps can win back. Uses the refresh bench's dataset (pulsebot_bench_<N>).
import postgres from 'postgres';
import type { Database, Sql } from '../src/db/connect.js';
import { compactIfDue } from '../src/db/refresh.js';
import { Rng } from '../src/demo/random.js';
import { type BenchContext, type BenchResult, positiveInt, str } from './lib/bench.js';
import {
  datasetName,
  dbUrl,
  ensureLoaded,
  insertNewRows,
  openLoaded,
  restoreLoaded,
  serverVersion,
  sizeLabel,
} from './lib/dataset.js';
import type { Metric } from './lib/metric.js';

type Part = 'measures' | 'users';

/** Folds one part of the detached batch as the refresh does, timed, then rolls it back. */
async function foldRolledBack(sql: Sql, part: Part): Promise<number> {
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

async function open({ options, serverUrl }: BenchContext): Promise<{ db: Database; rows: number; name: string }> {
  const name = str(options, 'database-name');
  if (name) return { ...(await openLoaded(serverUrl, name)), name };
  const rows = positiveInt(options, 'rows', { min: 1000 });
  return { db: await ensureLoaded(serverUrl, rows, false), rows, name: datasetName(rows) };
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const batches = positiveInt(ctx.options, 'batches');
  const runs = positiveInt(ctx.options, 'runs');
  const { db, rows, name } = await open(ctx);
  const url = dbUrl(ctx.serverUrl, name);
  // One connection per part, kept for the whole run, as the pool's connections are kept by a daemon.
  const connections = [0, 1].map(() => postgres(url, { max: 1, onnotice: () => {} }) as unknown as Sql);
  const [first, second] = connections as [Sql, Sql];
  const step = async (stepName: string) => {
    const [r] = await db.sql<{ outcome: string; error: string | null }[]>`
      select outcome, error from public.refresh_analytics_step(${stepName}, null)`;
    if (r!.outcome !== 'ok') throw new Error(`${stepName}: ${r!.error}`);
  };
  const alone: Record<Part, number[]> = { measures: [], users: [] };
  const together: Record<Part, number[]> = { measures: [], users: [] };
  const rng = new Rng(`bench-parts-${Date.now()}`);
  let postgresVersion: string;
  try {
    postgresVersion = await serverVersion(db.sql);
    await db.sql`delete from public.api_usage where not is_synthetic`; // left by an interrupted run
    await db.sql`select * from public.refresh_analytics_views()`;
    for (let b = 0; b < batches; b++) {
      await insertNewRows(db.sql, rng, 100_000);
      await db.sql`checkpoint`;
      await step('detach');
      for (let r = 0; r < runs; r++) {
        const oneByOne = async () => {
          alone.measures.push(await foldRolledBack(first, 'measures'));
          alone.users.push(await foldRolledBack(second, 'users'));
        };
        const sideBySide = async () => {
          const [m, u] = await Promise.all([foldRolledBack(first, 'measures'), foldRolledBack(second, 'users')]);
          together.measures.push(m);
          together.users.push(u);
        };
        if (r % 2) await sideBySide().then(oneByOne);
        else await oneByOne().then(sideBySide);
      }
      console.log(`  batch ${b + 1}/${batches} done`);
      for (const s of ['measures', 'users', 'rollups']) await step(s);
      await compactIfDue(db.sql, { statementTimeoutSeconds: 3600 });
    }
  } finally {
    await restoreLoaded(db.sql);
    await Promise.all([...connections.map((c) => c.end()), db.close()]);
  }

  const s = sizeLabel(rows);
  const metric = (what: string, samples: number[], baseline?: string): Metric => ({
    name: `refresh-parts.${what}_${s}`,
    unit: 'ms',
    better: 'lower',
    samples,
    ...(baseline ? { baseline: { metric: `refresh-parts.${baseline}_${s}` } } : {}),
  });
  return {
    postgres: postgresVersion,
    metrics: [
      metric('measures_alone', alone.measures),
      metric('measures_side_by_side', together.measures, 'measures_alone'),
      metric('users_alone', alone.users),
      metric('users_side_by_side', together.users, 'users_alone'),
      // Pairwise, run by run: both parts one after the other, and side by side (the slower part's time).
      metric(
        'both_parts_one_after_the_other',
        alone.measures.map((m, i) => m + alone.users[i]!),
      ),
      metric(
        'both_parts_side_by_side',
        together.measures.map((m, i) => Math.max(m, together.users[i]!)),
        'both_parts_one_after_the_other',
      ),
    ],
  };
}
