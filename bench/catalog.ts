// Every bench `npm run bench` knows, in the order `all` runs them. A bench's module loads only
// when it runs, so the charts bench needs no database driver and the list needs neither.
import type { BenchEntry, OptionSpec } from './lib/bench.js';

const rounds = (n: number, help = 'measured rounds'): OptionSpec => ({ type: 'string', default: String(n), help });
const fresh: OptionSpec = { type: 'boolean', default: false, help: 'drop and reload the dataset first', neutral: true };
const databaseName = (several: boolean): OptionSpec => ({
  type: 'string',
  default: '',
  help: `use this already loaded database (e.g. a clone) as it is, not migrated or reloaded${several ? '; comma-separated for several sizes' : ''}`,
  neutral: true,
});

export const BENCHES: readonly BenchEntry[] = [
  {
    name: 'refresh',
    about:
      'The dashboard refresh at 1 M and 10 M rows of realistic data over 90 days (databases `pulsebot_bench_<N>`, loaded once and kept). ' +
      'The baseline (a) is the full `REFRESH MATERIALIZED VIEW` of the three views defined over raw `api_usage`, as pulsebot first defined them: ' +
      'the median of three runs, two before the rounds and one after them over the table as loaded. ' +
      'The figure (b) is `pulsebot refresh` right after 100,000 new rows (90% in the last 5 minutes, 10% back-dated at random over the 90 days), ' +
      'a `CHECKPOINT` between the insert and the refresh, run by `refreshNow()` on a pool of 4 connections, after warm-up refreshes, the sizes’ rounds interleaved. ' +
      'Each round also times pg_cron’s way (`refresh_analytics_views()`, one transaction) after another 100,000 rows, and the compaction that follows. ' +
      'Last, the write path on the largest size: pgbench, 4 clients × 10 s of single-row `INSERT`s, median of 5, without capture, with a plain delta-log trigger and with pulsebot’s. ' +
      'Targets (issue 3): (b) ≤ 250 ms and ≥ 100× faster than (a) at 10 M; (b) at 10 M within ±25% of 1 M; ≤ 15% fewer inserts per second with capture.',
    needsDatabase: true,
    options: {
      rows: { type: 'string', default: '1000000,10000000', help: 'dataset sizes, comma-separated' },
      rounds: rounds(5),
      warmup: {
        type: 'string',
        default: '2',
        help: 'refreshes before the measured rounds, on the pool’s new connections',
      },
      fresh,
      'database-name': databaseName(true),
      'skip-write-path': { type: 'boolean', default: false, help: 'leave out the pgbench write path', neutral: true },
      'write-path-only': { type: 'boolean', default: false, help: 'only the pgbench write path', neutral: true },
      quick: { type: 'boolean', default: false, help: 'only (b): no (a), no pg_cron way, no write path' },
    },
    load: () => import('./refresh.js'),
  },
  {
    name: 'refresh-parts',
    about:
      'What the refresh’s two parts, the measures and the user sets, cost alone and side by side on the same detached batches of 100,000 rows ' +
      '(the refresh bench’s batches, on its 10 M-row dataset). Each part is folded alone, then both at once on two connections, alternating which comes first, ' +
      'every fold rolled back. The ratio of side by side to one after the other is what the second core gains; a part slower side by side than alone ' +
      'is what the two lose to sharing the machine. No target: it explains the refresh figure.',
    needsDatabase: true,
    options: {
      rows: { type: 'string', default: '10000000', help: 'dataset size' },
      batches: rounds(3, 'detached batches'),
      runs: rounds(6, 'runs per batch'),
      'database-name': databaseName(false),
    },
    load: () => import('./refresh-parts.js'),
  },
  {
    name: 'capture',
    about:
      'What change capture costs one single-row `INSERT`, in CPU instructions counted by callgrind, so the figure does not depend on what else the machine does. ' +
      'A throwaway cluster (initdb in a temporary directory, pulsebot migrated, 100,000 rows) runs 200 and then 1,200 `INSERT`s in one transaction in a single-user backend: ' +
      'the difference ÷ 1,000 is one statement with its triggers, start-up and commit excluded. Measured without capture, with the plain delta-log trigger and with pulsebot’s; ' +
      'the trigger cost is the difference to no capture. Needs valgrind and PostgreSQL’s server binaries (`pg_config --bindir`), not `DATABASE_URL`. No target of its own: ' +
      'the write-path target is in the refresh bench.',
    needsDatabase: false,
    options: {},
    load: () => import('./capture.js'),
  },
  {
    name: 'snapshot',
    about:
      'The report snapshot (fold of pending changes, every query module, the pure build) for a day report and a month report over the 10 M-row dataset, ' +
      'median of the rounds after one warm-up. Target (issue 4): the day report ≤ 200 ms at 10 M rows.',
    needsDatabase: true,
    options: { rows: { type: 'string', default: '10000000', help: 'dataset size' }, rounds: rounds(5), fresh },
    load: () => import('./snapshot.js'),
  },
  {
    name: 'charts',
    about:
      'Every catalog chart rendered to PNG at 2× over fixture data (Vega-Lite compile, vega View, SVG, sharp): the median over the catalog of each chart’s median render time; ' +
      'then the resident memory at render 100 and at the last render of a loop over the catalog. No database. ' +
      'Targets (issue 5): ≤ 40 ms per chart; RSS growth ≤ 10% from render 100 to render 1,000.',
    needsDatabase: false,
    options: {
      rounds: rounds(15, 'renders per chart'),
      renders: { type: 'string', default: '1000', help: 'renders in the memory loop' },
    },
    load: () => import('./charts.js'),
  },
  {
    name: 'digest',
    about:
      'The whole daily digest over the 10 M-row dataset: snapshot, 30-day series, every built-in chart, the Slack message with its charts uploaded into its thread ' +
      'and one email per recipient (20), queued in the outbox and delivered to a local Slack Web API server and a local SMTP server; median of the rounds after one warm-up. ' +
      'Target (issue 6): ≤ 1.5 s.',
    needsDatabase: true,
    options: {
      rows: { type: 'string', default: '10000000', help: 'dataset size' },
      rounds: rounds(5),
      recipients: { type: 'string', default: '20', help: 'email recipients' },
      fresh,
    },
    load: () => import('./digest.js'),
  },
  {
    name: 'alert-latency',
    about:
      'The on-call path end to end: the compiled daemon with the default config on a fresh database, Slack pointed at a local server, ' +
      'the default success-rate rule also routed to a local PagerDuty Events API. ' +
      'Each trial inserts failing calls that break the rule at a random moment and times them until the alert reaches Slack and PagerDuty, ' +
      'then removes them and times the resolve in PagerDuty. Then the daemon idles and its resident memory (plus any render process) is read. ' +
      'Targets: worst trial ≤ 30 s to Slack (issue 7), to PagerDuty and to its resolve (issue 25); ≤ 110 MB idle after 10 minutes.',
    needsDatabase: true,
    options: {
      trials: rounds(10, 'alert trials'),
      'idle-minutes': { type: 'string', default: '10', help: 'minutes idle before the memory reading (0: none)' },
    },
    load: () => import('./alert-latency.js'),
  },
];
