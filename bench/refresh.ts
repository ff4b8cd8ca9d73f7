// npm run bench -- refresh [--rows 1000000,10000000] [--rounds 5] [--warmup 2] [--fresh]
//   [--database-name <db>[,<db>]] [--skip-write-path] [--write-path-only] [--quick]
//
// On the PostgreSQL server of DATABASE_URL, for each size N: a database pulsebot_bench_<N> with N
// rows of realistic demo data over 90 days (kept between runs; --fresh reloads it; --database-name
// uses a loaded database of any name as it is), then
//   (a) the old way: REFRESH of the three views defined over raw api_usage (lib/old-views.sql);
//   (b) pulsebot: 100k new rows (90% in the last 5 minutes, 10% back-dated at random across the
//       90 days), a CHECKPOINT, then the refresh as `pulsebot refresh` does it (refreshNow: fold +
//       the three views, on a pool of 4 connections), median of --rounds, the sizes' rounds
//       interleaved; the same through refresh_analytics_views() (pg_cron's way, one transaction)
//       after another 100k rows; then, as `pulsebot refresh` does once the views are fresh, the
//       compaction of the pending deltas, timed on its own;
// and the write path on the largest size (lib/write-path.ts).
import { readFileSync } from 'node:fs';
import type { Database, Sql } from '../src/db/connect.js';
import { compactIfDue, refreshNow, type ViewRefresh } from '../src/db/refresh.js';
import { Rng } from '../src/demo/random.js';
import { type BenchContext, type BenchResult, positiveInt, str, UsageError } from './lib/bench.js';
import {
  CAPTURE,
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
import { msSince } from './lib/stats.js';
import { measureWritePath, REFERENCE_TRIGGER } from './lib/write-path.js';
import { type OldWay, refreshMetrics, type Size, type Timing, type Way } from './lib/refresh-metrics.js';

const OLD_VIEWS = ['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] as const;

async function oldWay(sql: Sql): Promise<OldWay> {
  const views: Record<string, number> = {};
  let plain = 0;
  let concurrent = 0;
  for (const v of OLD_VIEWS) {
    let t0 = process.hrtime.bigint();
    await sql`refresh materialized view ${sql('bench_old')}.${sql(v)}`;
    const p = msSince(t0);
    t0 = process.hrtime.bigint();
    await sql`refresh materialized view concurrently ${sql('bench_old')}.${sql(v)}`;
    const c = msSince(t0);
    plain += p;
    concurrent += c;
    views[v] = p;
  }
  return { plain, concurrent, views };
}

type RefreshRow = {
  view_name: string;
  outcome: string;
  row_count: number;
  started_at: Date;
  finished_at: Date;
  error: string | null;
};

/**
 * Minor page faults so far of each of the pool's backends (pid → count), read from /proc: only
 * when the server runs on this machine (Linux); otherwise null. On a VM that charges 6–12 µs a
 * fault, a refresh's faults explain much of the spread between its rounds.
 */
async function poolFaults(sql: Sql): Promise<Map<number, number> | null> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and application_name = 'pulsebot'`;
  const faults = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      faults.set(pid, Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[7]));
    } catch {
      return null;
    }
  }
  return faults;
}

const faultsBetween = (before: Map<number, number> | null, after: Map<number, number> | null): number | null =>
  before && after ? [...after].reduce((sum, [pid, n]) => sum + n - (before.get(pid) ?? 0), 0) : null;

const span = (a: Date, b: Date) => b.getTime() - a.getTime();

/**
 * 100k new rows, then a refresh timed from the client: `pulsebot refresh`'s way (refreshNow: the
 * log detached, its parts and then the views refreshed side by side on the pool's connections),
 * or pg_cron's (refresh_analytics_views(), one transaction). Where the time went is read from the
 * steps' own start and end stamps, from outside the SQL.
 */
async function pulsebotWay(sql: Sql, rng: Rng, way: Way): Promise<Timing> {
  await insertNewRows(sql, rng, 100_000);
  // The 100k rows arrive here in ~3 s, not over a refresh interval: without this their dirty pages
  // (random index pages of a 10M-row table, more than the default 128 MB shared_buffers holds
  // clean) would be written out by the refresh's own backends evicting them, which the background
  // writer does over the minutes real rows take to arrive. The checkpoint adds to the refresh too:
  // first writes to a page after it are full-page images in the WAL.
  await sql`checkpoint`;
  const [{ tz }] = (await sql`select pulsebot.dashboard_timezone() as tz`) as unknown as [{ tz: string }];
  const profile = new Map<string, number>();
  let fold: number;
  let folded: number;
  const faultsBefore = way === 'parallel' ? await poolFaults(sql) : null;
  const t0 = process.hrtime.bigint();
  if (way === 'parallel') {
    const steps: ViewRefresh[] = [];
    const results = await refreshNow(sql, {
      dashboardTimezone: tz,
      statementTimeoutSeconds: 3600,
      onStep: (s) => steps.push(s),
    });
    const failed = results.filter((r) => r.outcome !== 'ok');
    if (failed.length) throw new Error(`refresh failed: ${JSON.stringify(failed)}`);
    const detach = steps.find((s) => s.view === 'detach')!;
    const rollups = steps.find((s) => s.view === 'rollups')!;
    const parts = steps.filter((s) => s.view === 'measures' || s.view === 'users');
    if (detach.rows !== 1 || parts.length !== 2) throw new Error(`the log was not detached: ${JSON.stringify(steps)}`);
    profile.set('detach', span(detach.startedAt, detach.finishedAt));
    for (const p of parts) profile.set(p.view, span(p.startedAt, p.finishedAt));
    const partsDone = new Date(Math.max(...parts.map((p) => p.finishedAt.getTime())));
    profile.set('rollups', span(rollups.startedAt < partsDone ? partsDone : rollups.startedAt, rollups.finishedAt));
    for (const v of steps.filter((s) => s.view.startsWith('mv_'))) profile.set(v.view, span(v.startedAt, v.finishedAt));
    // The batch is folded once both parts are; the rest (the early view aside) comes after.
    fold = span(detach.startedAt, partsDone);
    folded = rollups.rows ?? 0;
  } else {
    const rows = await sql<RefreshRow[]>`select * from public.refresh_analytics_views()`;
    const failed = rows.filter((r) => r.outcome !== 'ok');
    if (failed.length) throw new Error(`refresh failed: ${JSON.stringify(failed)}`);
    for (const r of rows) profile.set(r.view_name, span(r.started_at, r.finished_at));
    fold = span(rows[0]!.started_at, rows[0]!.finished_at);
    folded = rows[0]!.row_count;
  }
  const total = msSince(t0);
  const faults = way === 'parallel' ? faultsBetween(faultsBefore, await poolFaults(sql)) : null;
  // What `pulsebot refresh` does next, outside (b): vacuum the log, compact when due.
  await sql`vacuum pulsebot.usage_changes`;
  const t1 = process.hrtime.bigint();
  const merged = await compactIfDue(sql, { statementTimeoutSeconds: 3600 });
  const compaction = merged > 0 ? msSince(t1) : null;
  if (folded < 100_000) throw new Error(`the refresh folded ${folded} change rows, fewer than the 100k inserted`);
  return { total, fold, views: total - fold, folded, compaction, profile, faults };
}

/** Back to a clean start after an interrupted run: its rows removed, capture on, no reference trigger. */
async function prepare(db: Database, rows: number): Promise<void> {
  await db.sql`delete from public.api_usage where not is_synthetic`;
  await db.sql.unsafe(`drop trigger if exists ${REFERENCE_TRIGGER} on public.api_usage`);
  const [{ off }] = (await db.sql`select count(*)::int as off from pg_trigger
    where tgrelid = 'public.api_usage'::regclass and tgname in ${db.sql(CAPTURE)} and tgenabled = 'D'`) as unknown as [
    { off: number },
  ];
  if (off > 0) {
    // Which rows reached the rollups while capture was off is unknown: rebuild them.
    console.log(`${rows.toLocaleString()} rows: capture was left off by an interrupted run; rebuilding the rollups`);
    for (const t of CAPTURE) await db.sql.unsafe(`alter table public.api_usage enable trigger ${t}`);
    await db.sql`update pulsebot.rollup_state set needs_rebuild = true`;
  }
  await db.sql`select * from public.refresh_analytics_views()`; // start from an empty change log
}

async function open(ctx: BenchContext): Promise<Size[]> {
  const { options, serverUrl } = ctx;
  const names = str(options, 'database-name').split(',').filter(Boolean);
  const loaded: { db: Database; rows: number; name: string }[] = [];
  if (names.length) {
    for (const name of names) loaded.push({ ...(await openLoaded(serverUrl, name)), name });
  } else {
    const sizes = str(options, 'rows')
      .split(',')
      .map((s) => Number(s.replace(/_/g, '')));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1000))
      throw new UsageError(`--rows must be sizes ≥ 1000 (got ${str(options, 'rows')})`);
    for (const rows of sizes)
      loaded.push({ db: await ensureLoaded(serverUrl, rows, options.fresh === true), rows, name: datasetName(rows) });
  }
  const labels = loaded.map((l) => sizeLabel(l.rows));
  if (new Set(labels).size !== labels.length)
    throw new UsageError(`two datasets of the same size (${labels.join(', ')})`);
  const opened: Size[] = [];
  for (const { db, rows, name } of loaded) {
    await prepare(db, rows);
    opened.push({
      rows,
      name,
      db,
      rng: new Rng(`bench-${rows}-${Date.now()}`),
      old: [],
      oldAfter: null,
      runs: [],
      oneTransaction: [],
      warmup: [],
    });
  }
  return opened;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const { options, serverUrl } = ctx;
  const rounds = positiveInt(options, 'rounds');
  const warmup = positiveInt(options, 'warmup', { min: 0 });
  const quick = options.quick === true;
  const opened = await open(ctx);
  const metrics: Metric[] = [];
  try {
    const postgres = await serverVersion(opened[0]!.db.sql);
    const largest = opened.reduce((a, b) => (b.rows > a.rows ? b : a));
    if (!options['write-path-only']) {
      for (const size of quick ? [] : opened) {
        // Twice: the first run may pay for a cold cache, which would flatter (b).
        size.old.push(await oldWay(size.db.sql), await oldWay(size.db.sql));
        console.log(`  ${size.name}: (a) ${size.old.map((o) => `${o.plain.toFixed(0)} ms`).join(', ')}`);
      }
      for (let r = 0; r < warmup; r++) {
        for (const size of opened) {
          size.warmup.push((await pulsebotWay(size.db.sql, size.rng, 'parallel')).total);
          if (!quick) await pulsebotWay(size.db.sql, size.rng, 'one-transaction');
        }
      }
      // The sizes' rounds interleave, in alternating order: this machine drifts by tens of percent
      // within minutes, and whichever size went first used to pay for it.
      for (let r = 0; r < rounds; r++) {
        for (const size of r % 2 === 0 ? opened : [...opened].reverse()) {
          size.runs.push(await pulsebotWay(size.db.sql, size.rng, 'parallel'));
          if (!quick) size.oneTransaction.push(await pulsebotWay(size.db.sql, size.rng, 'one-transaction'));
        }
        console.log(
          `  round ${r + 1}/${rounds}: ${opened.map((s) => `${s.name} ${s.runs.at(-1)!.total.toFixed(0)} ms`).join(', ')}`,
        );
      }
      // (a) once more, after the rounds, over the table as loaded: the rounds' rows all fall in the
      // last minutes, and the old views' one huge day would time the data, not the machine. Not
      // between the rounds, where its scans would evict the rollups from shared_buffers.
      for (const size of quick ? [] : opened) {
        await restoreLoaded(size.db.sql);
        size.oldAfter = (await oldWay(size.db.sql)).plain;
      }
      for (const size of opened) {
        const [{ n }] = (await size.db
          .sql`select count(*)::bigint as n from public.api_usage where is_synthetic`) as unknown as [{ n: number }];
        console.log(
          `  ${size.name}: api_usage holds ${n.toLocaleString()} loaded rows; (b) ${size.runs.map((x) => x.total.toFixed(0)).join(', ')} ms`,
        );
      }
      metrics.push(...refreshMetrics(opened));
    }
    if (!options['skip-write-path'] && !quick) {
      const tps = await measureWritePath(largest.db.sql, dbUrl(serverUrl, largest.name));
      const s = sizeLabel(largest.rows);
      metrics.push(
        { name: `refresh.inserts_no_capture_${s}`, unit: 'tps', better: 'higher', samples: tps.none },
        {
          name: `refresh.inserts_reference_trigger_${s}`,
          unit: 'tps',
          better: 'higher',
          samples: tps.reference,
          baseline: { metric: `refresh.inserts_no_capture_${s}` },
        },
        {
          name: `refresh.inserts_pulsebot_capture_${s}`,
          unit: 'tps',
          better: 'higher',
          samples: tps.pulsebot,
          // ≤ 15% fewer inserts per second than without capture.
          baseline: { metric: `refresh.inserts_no_capture_${s}`, ratioTarget: { min: 0.85 } },
        },
      );
    }
    return { postgres, metrics };
  } finally {
    // Leave the datasets as loaded, so the next run measures the same tables.
    for (const { db } of opened) {
      await restoreLoaded(db.sql);
      await db.close();
    }
  }
}
