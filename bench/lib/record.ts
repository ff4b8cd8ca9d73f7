// The JSON records a bench run leaves in bench/results/: one file per bench, one record per metric,
// a metric's record replaced by the next run that measures it (git keeps the history).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from './environment.js';
import type { Evaluated, Range, Target, Unit } from './metric.js';

export interface BenchRecord {
  bench: string;
  metric: string;
  unit: Unit;
  better: 'lower' | 'higher';
  samples: number[];
  median: number;
  spread: { min: number; max: number };
  n: number;
  target: Target | null;
  targetMet: boolean | null;
  baseline: { metric: string; median: number; ratio: number; ratioTarget: Range | null; met: boolean | null } | null;
  detail: boolean;
  /** Measured with options other than the bench's defaults (smaller sizes, fewer rounds): not a real figure. */
  quick: boolean;
  options: Record<string, string | boolean>;
  date: string;
  machine: Environment['machine'];
  /** `server_version` of the server the bench ran on; null for a bench without a database. */
  postgres: string | null;
  node: string;
  commit: string;
}

export interface RunInfo {
  bench: string;
  quick: boolean;
  options: Record<string, string | boolean>;
  date: Date;
  postgres: string | null;
  env: Environment;
}

// Two decimals are finer than any of these figures is repeatable.
const round = (x: number) => Math.round(x * 100) / 100;

export function toRecords(evaluated: readonly Evaluated[], run: RunInfo): BenchRecord[] {
  return evaluated.map((e) => ({
    bench: run.bench,
    metric: e.metric.name,
    unit: e.metric.unit,
    better: e.metric.better,
    samples: e.metric.samples.map(round),
    median: round(e.median),
    spread: { min: round(e.min), max: round(e.max) },
    n: e.n,
    target: e.metric.target ?? null,
    targetMet: e.targetMet,
    baseline: e.ratio
      ? {
          metric: e.ratio.baseline,
          median: round(e.ratio.baselineMedian),
          ratio: Math.round(e.ratio.value * 1000) / 1000,
          ratioTarget: e.metric.baseline?.ratioTarget ?? null,
          met: e.ratio.met,
        }
      : null,
    detail: e.metric.detail ?? false,
    quick: run.quick,
    options: run.options,
    date: run.date.toISOString(),
    machine: run.env.machine,
    postgres: run.postgres,
    node: run.env.node,
    commit: run.env.commit,
  }));
}

/** The records of a bench's file with this run's metrics replaced or added, in a stable order. */
export function mergeRecords(existing: readonly BenchRecord[], fresh: readonly BenchRecord[]): BenchRecord[] {
  const names = new Set(fresh.map((r) => r.metric));
  return [...existing.filter((r) => !names.has(r.metric)), ...fresh].sort((a, b) => a.metric.localeCompare(b.metric));
}

/** The latest record of each metric; quick ones only when asked for. */
export function latestPerMetric(records: readonly BenchRecord[], { includeQuick = false } = {}): BenchRecord[] {
  const latest = new Map<string, BenchRecord>();
  for (const r of records) {
    if (r.quick && !includeQuick) continue;
    const seen = latest.get(r.metric);
    if (!seen || seen.date < r.date) latest.set(r.metric, r);
  }
  return [...latest.values()];
}

/** Real runs go to `<bench>.json`, quick ones to `<bench>.quick.json` (git-ignored), so a quick run never replaces a real figure. */
const recordFile = (dir: string, bench: string, quick: boolean): string =>
  join(dir, `${bench}${quick ? '.quick' : ''}.json`);

function readJson(path: string): BenchRecord[] {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BenchRecord[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${path} is not a file of bench records: ${(e as Error).message}`);
  }
}

export function writeRecords(dir: string, records: readonly BenchRecord[]): string {
  const first = records[0];
  if (!first) throw new Error('no records to write');
  mkdirSync(dir, { recursive: true });
  const path = recordFile(dir, first.bench, first.quick);
  writeFileSync(path, `${JSON.stringify(mergeRecords(readJson(path), records), null, 2)}\n`);
  return path;
}

export function readAllRecords(dir: string): BenchRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.json')).flatMap((f) => readJson(join(dir, f)));
}
