// Where a figure was measured: the machine, Node, and the commit of the code that ran.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

interface Machine {
  cores: number;
  ramGB: number;
  cpu: string;
}

export interface Environment {
  machine: Machine;
  node: string;
  /** `git rev-parse --short HEAD`, with `-dirty` when tracked files have uncommitted changes. */
  commit: string;
}

function machine(): Machine {
  return {
    cores: os.cpus().length,
    ramGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
  };
}

function gitCommit(cwd: string): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', '--short', 'HEAD');
    // The suite's own output does not make the code dirty, or every bench after the first would be.
    const changed = git(
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      '.',
      ':!bench/results',
      ':!docs/benchmarks.md',
    );
    return changed ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function environment(cwd: string): Environment {
  return { machine: machine(), node: process.version, commit: gitCommit(cwd) };
}
