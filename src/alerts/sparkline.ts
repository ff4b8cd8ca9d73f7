import { alertSparkline, type SparkUnit } from '../charts/sparkline.js';
import { renderChart } from '../render/renderer.js';
import { formatMetric, type SparkPoint } from './message.js';
import { windowSpan, type Span } from './queries-baseline.js';
import type { AlertMetric, NamedAlertRule } from './rules.js';

/**
 * The small chart in an alert: the rule's metric over the last hours, each point measured
 * exactly as the rule measures (a 15-minute success rate at every point, today's cost so far),
 * so the dashed threshold line means the same thing all along it. The chart libraries (vega,
 * sharp) load where charts render: in the daemon, its short-lived render process (src/render/).
 */

const SPARK_HOURS = 3;
const SPARK_POINTS = 25;

const UNITS: Partial<Record<AlertMetric, SparkUnit>> = {
  success_rate: 'ratio',
  error_rate: 'ratio',
  cost_usd: 'usd',
  requests: 'count',
  p95_latency_ms: 'ms',
  minutes_since_newest_row: 'count',
};

/** Short: the chart's title keeps 28 characters. */
const LABELS: Partial<Record<AlertMetric, string>> = {
  success_rate: 'Success rate',
  error_rate: 'Error rate',
  cost_usd: 'Cost',
  requests: 'Requests',
  p95_latency_ms: 'p95 latency',
  minutes_since_newest_row: 'Minutes since newest row',
};

/** "Success rate, all traffic", "p95 latency, service type images". */
export function sparklineLabel(metric: AlertMetric, where: string): string {
  return `${LABELS[metric] ?? metric}, ${where}`;
}

/** Whether the metric has a sparkline (pulsebot's own refresh and delivery metrics do not). */
export function hasSparkline(metric: AlertMetric): boolean {
  return UNITS[metric] !== undefined;
}

/**
 * The windows of the points, oldest first, the last ending at `now`. An instant metric's points
 * are instants (start = end).
 */
export function sparklineSpans(rule: NamedAlertRule, now: Date, timeZone: string): Span[] {
  const step = (SPARK_HOURS * 3_600_000) / (SPARK_POINTS - 1);
  return Array.from({ length: SPARK_POINTS }, (_, i) => {
    const end = new Date(now.getTime() - (SPARK_POINTS - 1 - i) * step);
    return windowSpan(rule.window_minutes, end, timeZone) ?? { start: end, end };
  });
}

export interface RenderedSparkline {
  png: Buffer;
  alt: string;
}

/**
 * The PNG and its alt text. The threshold line is drawn for threshold conditions only: a `change`
 * threshold moves with its baseline, so one line would misstate the earlier points. null when
 * there is nothing to draw.
 */
export async function renderSparkline(
  rule: NamedAlertRule,
  series: readonly SparkPoint[],
  label: string,
): Promise<RenderedSparkline | null> {
  const unit = UNITS[rule.metric];
  const values = series.filter((p) => p.value !== null);
  if (!unit || values.length === 0) return null;
  const threshold = rule.condition.type === 'threshold' ? rule.condition.value : Number.NaN;
  const spec = alertSparkline(
    series.map((p) => ({ at: p.at.toISOString(), value: p.value })),
    threshold,
    unit,
    label,
  );
  const { png } = await renderChart(spec);
  const last = values[values.length - 1]!;
  const numbers = values.map((p) => p.value!);
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  const fmt = (v: number) => formatMetric(rule.metric, v);
  const line = rule.condition.type === 'threshold' ? `; threshold ${fmt(rule.condition.value)}` : '';
  const alt = `${label} over the last ${SPARK_HOURS} hours: between ${fmt(lo)} and ${fmt(hi)}, now ${fmt(last.value!)}${line}.`;
  return { png, alt };
}
