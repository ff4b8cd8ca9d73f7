// npm run bench -- capture
//
// Instructions per single-row INSERT, counted by callgrind in bench/capture-cost.sh (a throwaway
// cluster of its own: no DATABASE_URL), which prints them as one JSON line.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib/bench.js';

interface Counts {
  postgres: string;
  none: number;
  reference: number;
  pulsebot: number;
}

function parseCounts(stdout: string): Counts {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`capture-cost.sh printed no JSON line:\n${stdout}`);
  const c = JSON.parse(line) as Counts;
  for (const k of ['none', 'reference', 'pulsebot'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`capture-cost.sh printed no count for ${k}: ${line}`);
  }
  return c;
}

export async function run(): Promise<BenchResult> {
  const script = fileURLToPath(new URL('./capture-cost.sh', import.meta.url));
  const c = parseCounts(
    execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 }),
  );
  // Deterministic counts: one sample each. The triggers' own cost is the difference to no capture.
  return {
    postgres: c.postgres,
    metrics: [
      { name: 'capture.insert_no_capture', unit: 'instructions', better: 'lower', samples: [c.none] },
      {
        name: 'capture.insert_reference_trigger',
        unit: 'instructions',
        better: 'lower',
        samples: [c.reference],
        baseline: { metric: 'capture.insert_no_capture' },
      },
      {
        name: 'capture.insert_pulsebot_capture',
        unit: 'instructions',
        better: 'lower',
        samples: [c.pulsebot],
        baseline: { metric: 'capture.insert_no_capture' },
      },
      { name: 'capture.trigger_reference', unit: 'instructions', better: 'lower', samples: [c.reference - c.none] },
      {
        name: 'capture.trigger_pulsebot',
        unit: 'instructions',
        better: 'lower',
        samples: [c.pulsebot - c.none],
        baseline: { metric: 'capture.trigger_reference' },
      },
    ],
  };
}
