import { Cron } from 'croner';

/**
 * Schedule arithmetic over croner's pure run calculations, with explicit dates: what runs next,
 * and what a daemon that was down missed. croner has no catch-up of its own (PITFALLS.md), so
 * the daemon stores each job's last run and asks `missedRun` at start.
 */

// A fresh, paused job each time: croner writes its defaults into the options object it is given.
function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** The next `count` runs strictly after `from`, in order. */
export function nextRuns(expression: string, timezone: string, from: Date, count: number): Date[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, got ${count}`);
  return count === 0 ? [] : cronOf(expression, timezone).nextRuns(count, from);
}

export type MissedRun =
  /** Run `due` now, once; the older misses in `skipped` (most recent first) are only logged. */
  | { kind: 'due'; due: Date; late: boolean; skipped: Date[]; truncated: boolean }
  /** Even the most recent miss is older than the grace: log them all, run nothing. */
  | { kind: 'skipped'; skipped: Date[]; truncated: boolean };

export interface MissedRunOptions {
  /** Most misses listed; older ones are left out and `truncated` is set (a per-second job down for a week). */
  maxListed?: number;
}

/**
 * The runs after `lastRunAt` up to and including `now` that did not happen. The most recent
 * one is due if it is at most `graceMs` old, marked late when `now` is past it; all older ones
 * are skipped, so a daemon down for three days sends one late daily report, not three.
 * `lastRunAt` is the scheduled time (or the start) of the last run that happened; null (the
 * job never ran) misses nothing: a new install does not send yesterday's report.
 * Returns null when nothing was missed.
 */
export function missedRun(
  expression: string,
  timezone: string,
  lastRunAt: Date | null,
  now: Date,
  graceMs: number,
  opts: MissedRunOptions = {},
): MissedRun | null {
  if (!(graceMs >= 0)) throw new RangeError(`graceMs must be ≥ 0, got ${graceMs}`);
  if (lastRunAt === null || lastRunAt >= now) return null;
  const maxListed = opts.maxListed ?? 100;
  // Runs before now + 1 ms are the runs at or before now; one more than we list tells us whether
  // the list is complete. Most recent first.
  const runs = cronOf(expression, timezone)
    .previousRuns(maxListed + 2, new Date(now.getTime() + 1))
    .filter((run) => run.getTime() > lastRunAt.getTime());
  const [latest, ...older] = runs;
  if (!latest) return null;
  if (now.getTime() - latest.getTime() <= graceMs) {
    return {
      kind: 'due',
      due: latest,
      late: now.getTime() > latest.getTime(),
      skipped: older.slice(0, maxListed),
      truncated: older.length > maxListed,
    };
  }
  return { kind: 'skipped', skipped: runs.slice(0, maxListed), truncated: runs.length > maxListed };
}
