// npm run bench -- <name|all|docs> [options]
//
// Runs one bench (or all, in sequence), prints one line per figure, writes the figures' records to
// bench/results/<name>.json and regenerates docs/benchmarks.md from every record there.
// `docs` only regenerates the file. Exits 2 on an unknown name or bad options, 1 if a bench failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCHES } from './catalog.js';
import { type BenchEntry, type OptionSpec, type Options, UsageError } from './lib/bench.js';
import { renderBenchmarksDoc } from './lib/docs.js';
import { environment } from './lib/environment.js';
import { evaluate, formatLine } from './lib/metric.js';
import { latestPerMetric, readAllRecords, toRecords, writeRecords } from './lib/record.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const DOCS = join(ROOT, 'docs/benchmarks.md');
const COMMON: Record<string, OptionSpec> = {
  'no-record': {
    type: 'boolean',
    default: false,
    help: 'print the figures, write no record and leave docs/benchmarks.md alone',
  },
  help: { type: 'boolean', default: false, help: 'this text' },
};

function usage(entries: readonly BenchEntry[]): string {
  const lines = [`usage: npm run bench -- <${BENCHES.map((b) => b.name).join('|')}|all|docs> [options]`];
  for (const e of entries) {
    lines.push(`  ${e.name}${e.needsDatabase ? ' (needs DATABASE_URL=postgres://…)' : ''}`);
    for (const [name, o] of Object.entries(e.options))
      lines.push(`      --${name}${o.type === 'string' ? ` <${o.default || name}>` : ''}  ${o.help}`);
  }
  lines.push('  any bench:');
  for (const [name, o] of Object.entries(COMMON)) lines.push(`      --${name}  ${o.help}`);
  return lines.join('\n');
}

function writeDocs(): void {
  mkdirSync(dirname(DOCS), { recursive: true });
  writeFileSync(DOCS, renderBenchmarksDoc(latestPerMetric(readAllRecords(RESULTS)), BENCHES));
}

const given = (v: string | boolean | undefined) => (typeof v === 'string' ? v.replace(/_/g, '') : v);

/** The bench's options, defaults filled in, and whether any that shapes its figures differs from its default. */
function optionsFor(
  entry: BenchEntry,
  values: Record<string, string | boolean | undefined>,
): { options: Options; quick: boolean } {
  const options: Options = {};
  let quick = false;
  for (const [name, spec] of Object.entries(entry.options)) {
    const v = values[name];
    options[name] = v ?? spec.default;
    if (v !== undefined && !spec.neutral && given(v) !== given(spec.default)) quick = true;
  }
  return { options, quick };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.error(usage(BENCHES));
    return name ? 0 : 2;
  }
  if (name === 'docs') {
    writeDocs();
    console.log(`${relative(ROOT, DOCS)} regenerated from ${relative(ROOT, RESULTS)}/`);
    return 0;
  }
  const entries = name === 'all' ? BENCHES : BENCHES.filter((b) => b.name === name);
  if (entries.length === 0) {
    console.error(
      `unknown bench "${name}"; the benches are: ${BENCHES.map((b) => b.name).join(', ')} (or all, or docs)`,
    );
    return 2;
  }
  // Defaults differ between benches (e.g. --rows): parsed without them, filled in per bench.
  const specs = Object.assign({}, ...entries.map((e) => e.options), COMMON) as Record<string, OptionSpec>;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { type: s.type }])),
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage(entries)}`);
    return 2;
  }
  if (values.help) {
    console.log(usage(entries));
    return 0;
  }
  const serverUrl = process.env.DATABASE_URL ?? '';
  const needing = entries.filter((e) => e.needsDatabase).map((e) => e.name);
  if (needing.length && !serverUrl) {
    console.error(
      `DATABASE_URL must point at a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres) for: ${needing.join(', ')}`,
    );
    return 2;
  }

  const env = environment(ROOT);
  let failed = 0;
  let recorded = false;
  for (const entry of entries) {
    const { options, quick } = optionsFor(entry, values);
    console.log(
      `\n== ${entry.name}${quick ? ' (quick: options other than the defaults, recorded apart from the real figures)' : ''}`,
    );
    try {
      const result = await (await entry.load()).run({ options, serverUrl });
      const evaluated = evaluate(result.metrics);
      const m = env.machine;
      console.log(
        `-- ${entry.name}: ${m.cores} cores, ${m.ramGB} GB, ${m.cpu}; node ${env.node}; PostgreSQL ${result.postgres ?? '(none)'}; commit ${env.commit}`,
      );
      const width = Math.max(...evaluated.map((e) => e.metric.name.length + (e.metric.detail ? 2 : 0))) + 2;
      for (const e of evaluated) console.log(formatLine(e, width));
      if (!values['no-record']) {
        const run = { bench: entry.name, quick, options, date: new Date(), postgres: result.postgres, env };
        console.log(`records: ${relative(ROOT, writeRecords(RESULTS, toRecords(evaluated, run)))}`);
        recorded = true;
      }
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(`${entry.name}: ${e.message}\n${usage([entry])}`);
        return 2;
      }
      failed++;
      console.error(`${entry.name} failed:`, e);
    }
  }
  if (recorded) {
    writeDocs();
    console.log(`${relative(ROOT, DOCS)} regenerated`);
  }
  return failed ? 1 : 0;
}

// Explicit exit: a failed bench may leave a server or pool open that would keep the process alive.
process.exit(await main(process.argv.slice(2)));
