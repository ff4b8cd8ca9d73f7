// The refresh bench's figures, from its rounds. Pure.
import type { Database } from '../../src/db/connect.js';
import type { Rng } from '../../src/demo/random.js';
import { sizeLabel } from './dataset.js';
import type { Metric } from './metric.js';
import { median } from './stats.js';

export type Way = 'parallel' | 'one-transaction';

export interface Timing {
  total: number;
  fold: number;
  views: number;
  folded: number;
  compaction: number | null;
  /** Each step's time, from its own start and end stamps. */
  profile: Map<string, number>;
  faults: number | null;
}

export interface OldWay {
  plain: number;
  concurrent: number;
  views: Record<string, number>;
}

export interface Size {
  rows: number;
  /** The dataset's database. */
  name: string;
  db: Database;
  rng: Rng;
  /** (a) twice before the rounds. */
  old: OldWay[];
  /** (a) once after them, over the table as loaded. */
  oldAfter: number | null;
  runs: Timing[];
  oneTransaction: Timing[];
  warmup: number[];
}

const TARGET_ROWS = 10_000_000;

/** Each step's times over the rounds, as detail metrics named `<prefix><step>_<size>`. */
function steps(prefix: string, s: string, xs: readonly Timing[]): Metric[] {
  const names = [...new Set(xs.flatMap((x) => [...x.profile.keys()]))];
  return names.map((step) => ({
    name: `${prefix}${step}_${s}`,
    unit: 'ms',
    better: 'lower',
    samples: xs.map((x) => x.profile.get(step) ?? 0),
    detail: true,
  }));
}

function sizeMetrics(size: Size): Metric[] {
  const s = sizeLabel(size.rows);
  const atTarget = size.rows === TARGET_ROWS;
  const full = `refresh.full_refresh_${s}`;
  const hasOld = size.old.length > 0;
  const metrics: Metric[] = [];
  if (hasOld) {
    metrics.push({
      name: full,
      unit: 'ms',
      better: 'lower',
      samples: [...size.old.map((o) => o.plain), ...(size.oldAfter === null ? [] : [size.oldAfter])],
    });
    metrics.push({
      name: `refresh.full_refresh_concurrently_${s}`,
      unit: 'ms',
      better: 'lower',
      samples: size.old.map((o) => o.concurrent),
      detail: true,
    });
    for (const view of Object.keys(size.old[0]!.views)) {
      metrics.push({
        name: `refresh.full_refresh_${view}_${s}`,
        unit: 'ms',
        better: 'lower',
        samples: size.old.map((o) => o.views[view]!),
        detail: true,
      });
    }
  }
  metrics.push({
    name: `refresh.incremental_${s}`,
    unit: 'ms',
    better: 'lower',
    samples: size.runs.map((x) => x.total),
    ...(atTarget ? { target: { max: 250 } } : {}),
    ...(hasOld ? { baseline: { metric: full, ...(atTarget ? { ratioTarget: { min: 100 } } : {}) } } : {}),
  });
  metrics.push(
    { name: `refresh.fold_${s}`, unit: 'ms', better: 'lower', samples: size.runs.map((x) => x.fold), detail: true },
    {
      name: `refresh.after_fold_${s}`,
      unit: 'ms',
      better: 'lower',
      samples: size.runs.map((x) => x.views),
      detail: true,
    },
    ...steps('refresh.step_', s, size.runs),
  );
  const faults = size.runs.flatMap((x) => (x.faults === null ? [] : [x.faults]));
  if (faults.length === size.runs.length)
    metrics.push({ name: `refresh.page_faults_${s}`, unit: 'faults', better: 'lower', samples: faults, detail: true });
  if (size.warmup.length)
    metrics.push({ name: `refresh.warmup_${s}`, unit: 'ms', better: 'lower', samples: size.warmup, detail: true });
  if (size.oneTransaction.length) {
    metrics.push({
      name: `refresh.pg_cron_${s}`,
      unit: 'ms',
      better: 'lower',
      samples: size.oneTransaction.map((x) => x.total),
      ...(hasOld ? { baseline: { metric: full } } : {}),
    });
    metrics.push(...steps('refresh.pg_cron_step_', s, size.oneTransaction));
  }
  const all = [...size.runs, ...size.oneTransaction];
  const compactions = all.flatMap((x) => (x.compaction === null ? [] : [x.compaction]));
  if (compactions.length) {
    metrics.push(
      { name: `refresh.compaction_${s}`, unit: 'ms', better: 'lower', samples: compactions, detail: true },
      // What compaction adds to each refresh on average: it runs only when due.
      {
        name: `refresh.compaction_per_refresh_${s}`,
        unit: 'ms',
        better: 'lower',
        samples: [compactions.reduce((a, c) => a + c, 0) / all.length],
      },
    );
  }
  return metrics;
}

export function refreshMetrics(sizes: readonly Size[]): Metric[] {
  const metrics = sizes.flatMap(sizeMetrics);
  if (sizes.length > 1) {
    const bySize = [...sizes].sort((a, b) => a.rows - b.rows);
    const [small, large] = [bySize[0]!, bySize.at(-1)!];
    const m = (x: Size) => metrics.find((k) => k.name === `refresh.incremental_${sizeLabel(x.rows)}`)!;
    metrics.push({
      name: `refresh.incremental_${sizeLabel(large.rows)}_vs_${sizeLabel(small.rows)}`,
      unit: '%',
      better: 'lower',
      // Cost independent of table size: within ±25%.
      samples: [(median(m(large).samples) / median(m(small).samples) - 1) * 100],
      target: { min: -25, max: 25 },
    });
  }
  return metrics;
}
