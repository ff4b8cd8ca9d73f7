// The shape of a bench: what the catalog says about it, and what its module returns.
import type { Metric } from './metric.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  default: string | boolean;
  help: string;
  /** Changes how the bench runs but not what its figures mean: using it does not make a run quick. */
  neutral?: boolean;
}

export type Options = Record<string, string | boolean>;

export interface BenchResult {
  /** `server_version` of the server measured; null when the bench uses none. */
  postgres: string | null;
  metrics: Metric[];
}

export interface BenchContext {
  options: Options;
  /** DATABASE_URL, checked present by the runner for benches that need a server. */
  serverUrl: string;
}

interface BenchModule {
  run(ctx: BenchContext): Promise<BenchResult>;
}

export interface BenchEntry {
  name: string;
  /** What it measures and against which target, for docs/benchmarks.md. */
  about: string;
  needsDatabase: boolean;
  options: Record<string, OptionSpec>;
  load(): Promise<BenchModule>;
}

export const str = (options: Options, name: string): string => String(options[name]);

/** A positive integer option, `_` allowed as a digit separator (`10_000_000`). */
export function positiveInt(options: Options, name: string, { min = 1 } = {}): number {
  const n = Number(str(options, name).replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got ${str(options, name)})`);
  return n;
}

/** Bad options: the runner prints the message and the bench's usage, and exits 2. */
export class UsageError extends Error {}
