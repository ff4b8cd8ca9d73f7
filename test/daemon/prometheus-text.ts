/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must
 * be a HELP, a TYPE or a sample of the metric family announced last; label values are unescaped;
 * histograms must have increasing cumulative buckets ending in +Inf that equal _count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/;

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => {
      const where = `line ${i + 1} (${JSON.stringify(line)})`;
      if (line.startsWith('# HELP ')) {
        const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
        if (!m) throw new Error(`bad HELP at ${where}`);
        if (families.has(m[1]!)) throw new Error(`family ${m[1]} announced twice at ${where}`);
        current = { name: m[1]!, help: m[2]!, type: 'untyped', samples: [] };
        families.set(current.name, current);
        return;
      }
      if (line.startsWith('# TYPE ')) {
        const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
        if (!m || !current || m[1] !== current.name) throw new Error(`bad TYPE at ${where}`);
        current.type = m[2] as Family['type'];
        return;
      }
      if (line.startsWith('#') || line === '') throw new Error(`unexpected comment or blank at ${where}`);
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`bad sample at ${where}`);
      const name = m[1]!;
      if (!current) throw new Error(`sample before any family at ${where}`);
      const suffixOk =
        current.type === 'histogram'
          ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`].includes(name)
          : name === current.name;
      if (!suffixOk) throw new Error(`sample ${name} does not belong to ${current.name} at ${where}`);
      const value = parseValue(m[3]!, where);
      current.samples.push({ name, labels: parseLabels(m[2] ?? '', where), value });
    });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function parseValue(raw: string, where: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const n = Number(raw);
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) || Number.isNaN(n))
    throw new Error(`bad value ${raw} at ${where}`);
  return n;
}

function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = raw;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels ${JSON.stringify(raw)} at ${where}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice at ${where}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<{ le: number; value: number }>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), value: s.value });
    } else if (s.name.endsWith('_count')) g.count = s.value;
    else g.sum = s.value;
  }
  for (const [key, g] of groups) {
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last.le !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    g.buckets.forEach((b, i) => {
      const prev = g.buckets[i - 1];
      if (prev && (b.le <= prev.le || b.value < prev.value)) throw new Error(`${f.name}${key}: buckets not cumulative`);
    });
    if (g.count !== last.value || g.sum === undefined)
      throw new Error(`${f.name}${key}: _count/_sum missing or not equal to +Inf`);
  }
}

/** The value of one sample, by metric name and a subset of its labels. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? families.get(name);
  const s = family?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
