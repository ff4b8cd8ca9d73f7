import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import type { DailyCost, DailyLatency, DailySeries, HealthTrend, SparkPoint } from './series.js';
import { config, FORMAT, formatMs, INK, msExpr, providerKey, providerScale, serviceScale, SIZE } from './theme.js';

/**
 * The chart catalog: pure functions from data to Vega-Lite specs, data inline as `values`.
 * Every function survives zero rows (a "No data for …" image), one row, NaN/null numbers (the row
 * or the value is dropped), negative values and very long names. Single views use
 * `autosize: fit` so the picture has exactly the declared size.
 */

type Size = { width: number; height: number };
type Row = Record<string, string | number | null>;

export const MAX_BARS = 20;
const LABEL_CHARS = 40;

/** A finite number, or null (NaN, ±Infinity, null, undefined, strings). */
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Printable one-line text: control characters removed (they make the SVG invalid XML). */
const clean = (s: unknown): string =>
  String(s ?? '')
    .replace(/[\p{Cc}\p{Cs}\uFFFE\uFFFF]+/gu, ' ')
    .trim();

export function truncate(s: string, max = LABEL_CHARS): string {
  const chars = Array.from(clean(s));
  return chars.length <= max
    ? chars.join('')
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

const isDay = (d: unknown): d is string =>
  typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d));
const provider = (p: unknown) => providerKey(clean(p)) || 'unknown';
const usd = (x: number) =>
  `${x < 0 ? '−' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function frame(
  title: string,
  subtitle: string | null,
  size: Size,
): Pick<TopLevelSpec, 'config' | 'title' | 'autosize'> & Size {
  return {
    config,
    title: subtitle ? { text: title, subtitle } : title,
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
  };
}

/** The image for an empty data set: the message centred on a blank canvas of the chart's size. */
export function noData(title: string, size: Size = SIZE.wide): TopLevelSpec {
  const small = size.height < 120;
  return {
    config,
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
    data: { values: [{}] },
    mark: {
      type: 'text',
      align: 'center',
      baseline: 'middle',
      fontSize: small ? 12 : 15,
      color: INK.muted,
      limit: size.width - 24,
    },
    encoding: {
      x: { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] }, axis: null },
      y: { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] }, axis: null },
      text: { value: `No data for ${title}` },
    },
  };
}

function dayRange(days: string[]): string {
  const sorted = [...new Set(days)].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return '';
  if (first === last) return `on ${last}`;
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  return `last ${span} days to ${last}`;
}

const MS_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 3e4, 6e4, 12e4, 3e5, 6e5, 12e5, 18e5, 36e5,
];

/** Round latency ticks (500 ms, 1 s, 2 s, 5 s, … 1 min, 2 min, 5 min) for a linear axis 0..max. */
export function msTicks(max: number, count = 4): number[] {
  const step = MS_STEPS.find((s) => max / s <= count) ?? 36e5 * Math.ceil(max / 36e5 / count);
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

/** Ticks for a log axis over [lo, hi]: the round steps inside it, thinned to about `count`. */
function msLogTicks(lo: number, hi: number, count = 6): number[] {
  const inside = MS_STEPS.filter((s) => s >= lo && s <= hi);
  const every = Math.max(1, Math.ceil(inside.length / count));
  return inside.filter((_, i) => i % every === 0);
}

/**
 * The x encoding of the per-day charts: one band per calendar day (missing days stay as gaps,
 * unless the range is absurd), the label centred under its bar or point, about 8 labels, the
 * last day always labelled. Dates are "YYYY-MM-DD" strings, formatted in UTC (no process TZ).
 */
function dayX(days: string[]) {
  const present = [...new Set(days)].sort();
  const first = present[0] ?? '';
  const last = present[present.length - 1] ?? '';
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1;
  const domain =
    span > 0 && span <= 400
      ? Array.from({ length: span }, (_, i) => new Date(Date.parse(first) + i * 86_400_000).toISOString().slice(0, 10))
      : present;
  const every = Math.max(1, Math.ceil(domain.length / 8));
  const labelled = domain.filter((_, i) => (domain.length - 1 - i) % every === 0);
  return {
    field: 'date',
    type: 'ordinal' as const,
    scale: { domain, paddingInner: 0.1, paddingOuter: 0.05 },
    axis: {
      values: labelled,
      labelExpr: "utcFormat(toDate(datum.value), '%b %-d')",
      labelAngle: 0,
      title: null,
      grid: false,
      labelOverlap: false,
      ticks: false,
    },
  };
}

/** Cost per day, stacked by provider. */
export function dailyCostByProvider(series: DailySeries): TopLevelSpec {
  const what = 'Cost per day by provider';
  const byKey = new Map<string, Row & { costUsd: number }>();
  for (const r of series) {
    const cost = num(r.costUsd);
    if (!isDay(r.date) || cost === null) continue;
    const p = provider(r.provider);
    const key = `${r.date}\u0000${p}`;
    const row = byKey.get(key) ?? { date: r.date, provider: p, costUsd: 0 };
    row.costUsd += cost;
    byKey.set(key, row);
  }
  const values = [...byKey.values()];
  if (values.length === 0) return noData(what);
  const colours = providerScale(values.map((v) => String(v.provider)));
  for (const v of values) v.order = colours.domain.indexOf(String(v.provider));
  const total = values.reduce((n, v) => n + v.costUsd, 0);
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => String(v.date)))}`, `${usd(total)} in total`, SIZE.wide),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: dayX(values.map((v) => String(v.date))),
      y: {
        field: 'costUsd',
        type: 'quantitative',
        stack: 'zero',
        title: 'Cost (USD)',
        axis: { format: FORMAT.usdAxis, tickCount: 5 },
      },
      color: { field: 'provider', type: 'nominal', scale: colours, legend: { title: null } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'provider' }, { field: 'costUsd', format: FORMAT.usd }],
    },
  };
}

/** Requests per day (bars, left axis) with the success rate (line, right axis). */
export function requestsAndSuccessRate(series: DailySeries): TopLevelSpec {
  const what = 'Requests and success rate per day';
  const byDay = new Map<string, { requests: number; successes: number }>();
  for (const r of series) {
    const requests = num(r.requests);
    if (!isDay(r.date) || requests === null) continue;
    const d = byDay.get(r.date) ?? { requests: 0, successes: 0 };
    d.requests += requests;
    d.successes += num(r.successes) ?? 0;
    byDay.set(r.date, d);
  }
  const values = [...byDay.entries()].map(([date, d]) => ({
    date,
    requests: d.requests,
    successRate: d.requests > 0 ? Math.min(1, Math.max(0, d.successes / d.requests)) : null,
  }));
  if (values.length === 0) return noData(what);
  const rates = values.map((v) => v.successRate).filter((x): x is number => x !== null);
  const lo = rates.length ? Math.max(0, Math.floor((Math.min(...rates) - 0.005) * 100) / 100) : 0;
  const requests = values.reduce((n, v) => n + v.requests, 0);
  const overall = series.reduce(
    (n, r) => n + (isDay(r.date) && num(r.requests) !== null ? (num(r.successes) ?? 0) : 0),
    0,
  );
  const subtitle = `${requests.toLocaleString('en-US')} requests · ${requests > 0 ? pct(overall / requests) : 'n/a'} successful`;
  const x = dayX(values.map((v) => v.date));
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, subtitle, SIZE.wide),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#9CC3E0' },
        encoding: {
          x,
          y: {
            field: 'requests',
            type: 'quantitative',
            title: 'Requests',
            axis: { format: FORMAT.countAxis, titleColor: '#4C88B8', tickCount: 5 },
          },
        },
      },
      {
        mark: { type: 'line', color: INK.bad, strokeWidth: 2, point: { color: INK.bad, size: 24 } },
        encoding: {
          x,
          y: {
            field: 'successRate',
            type: 'quantitative',
            title: 'Success rate',
            scale: { domain: [lo === 1 ? 0.99 : lo, 1] },
            axis: { format: lo >= 0.9 ? '.1%' : FORMAT.pctAxis, titleColor: INK.bad, grid: false, tickCount: 5 },
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}

/** p95 latency per day, one line per service type, on a log scale (video is minutes, chat seconds). */
export function p95ByServiceType(latency: DailyLatency): TopLevelSpec {
  const what = 'p95 latency per day by service type';
  const values = latency
    .map((r) => ({ date: r.date, serviceType: clean(r.serviceType) || 'unknown', p95LatencyMs: num(r.p95LatencyMs) }))
    .filter(
      (r): r is { date: string; serviceType: string; p95LatencyMs: number } =>
        isDay(r.date) && r.p95LatencyMs !== null && r.p95LatencyMs > 0,
    );
  if (values.length === 0) return noData(what);
  const lo = Math.min(...values.map((v) => v.p95LatencyMs)) / 1.6;
  const hi = Math.max(...values.map((v) => v.p95LatencyMs)) * 1.6;
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, 'log scale', SIZE.wide),
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: { size: 24 } },
    encoding: {
      x: dayX(values.map((v) => v.date)),
      y: {
        field: 'p95LatencyMs',
        type: 'quantitative',
        title: 'p95 latency',
        scale: { type: 'log', domain: [lo, hi], nice: false },
        axis: { labelExpr: msExpr('datum.value'), values: msLogTicks(lo, hi) },
      },
      color: {
        field: 'serviceType',
        type: 'nominal',
        scale: serviceScale(values.map((v) => v.serviceType)),
        legend: { title: null },
      },
    },
  };
}

type ModelsInput = Pick<Snapshot, 'models' | 'period'>;

/** Horizontal bars: the top models by cost, then "other (N models)"; at most MAX_BARS + 1 bars. */
export function topModelsByCost(snapshot: ModelsInput): TopLevelSpec {
  const what = 'Top models by cost';
  const size = { width: 720, height: 420 };
  const top = snapshot.models.top.filter((m) => num(m.costUsd) !== null);
  let other =
    snapshot.models.other && num(snapshot.models.other.costUsd) !== null
      ? { costUsd: snapshot.models.other.costUsd, models: snapshot.models.other.models }
      : null;
  const shown = top.slice(0, MAX_BARS);
  const folded = top.slice(MAX_BARS);
  if (folded.length > 0) {
    other = {
      costUsd: (other?.costUsd ?? 0) + folded.reduce((n, m) => n + m.costUsd, 0),
      models: (other?.models ?? 0) + folded.length,
    };
  }
  const used = new Set<string>();
  const unique = (label: string) => {
    let out = label;
    for (let i = 2; used.has(out); i++) out = `${label} (${i})`;
    used.add(out);
    return out;
  };
  const values: Row[] = shown.map((m) => {
    const p = provider(m.provider);
    return {
      label: unique(`${truncate(clean(m.model) || '?', 36)} · ${truncate(p, 16)}`),
      provider: p,
      costUsd: m.costUsd,
      text: usd(m.costUsd),
    };
  });
  if (other && other.models > 0) {
    values.push({
      label: unique(`other (${other.models.toLocaleString('en-US')} models)`),
      provider: 'other',
      costUsd: other.costUsd,
      text: usd(other.costUsd),
    });
  }
  if (values.length === 0) return noData(`${what} · ${snapshot.period.label}`, size);
  const costs = values.map((v) => Number(v.costUsd));
  const total = costs.reduce((n, c) => n + c, 0);
  const max = Math.max(0, ...costs);
  const min = Math.min(0, ...costs);
  const x = {
    field: 'costUsd',
    type: 'quantitative' as const,
    title: 'Cost (USD)',
    scale: { domain: [min * 1.2, max > 0 ? max * 1.2 : 1], nice: false },
    axis: { format: FORMAT.usdAxis, tickCount: 5 },
  };
  // Vega estimates label widths generously (0.8 em a character): cap the axis at what Inter needs.
  const y = {
    field: 'label',
    type: 'nominal',
    sort: values.map((v) => String(v.label)),
    title: null,
    axis: { labelLimit: 0, maxExtent: 300 },
  } as const;
  return {
    ...frame(
      `${what} · ${snapshot.period.label}`,
      `${usd(total)} across ${values.length === 1 ? '1 bar' : `${values.length} bars`}`,
      size,
    ),
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          y,
          color: {
            field: 'provider',
            type: 'nominal',
            scale: providerScale(values.map((v) => String(v.provider))),
            legend: null,
          },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 4, color: INK.text }, encoding: { x, y, text: { field: 'text' } } },
    ],
  };
}

/** Success rate and p95 latency per provider × service type, side by side. */
export function providerComparison(snapshot: Pick<Snapshot, 'operations' | 'period'>): TopLevelSpec {
  const what = 'Success rate and p95 latency by provider';
  const rows = snapshot.operations
    .filter((o) => num(o.requests) !== null && o.requests > 0)
    .slice(0, MAX_BARS)
    .map((o) => {
      const rate = num(o.successRate);
      const p95 = num(o.p95LatencyMs);
      return {
        // ≤ 23 characters: vega estimates 0.8 em a character, so the labels fit the fixed axis extent
        // and the picture keeps its size whatever the names.
        label: `${truncate(provider(o.provider), 12)} · ${truncate(clean(o.serviceType) || '?', 8)}`,
        provider: provider(o.provider),
        successRate: rate === null ? null : Math.min(1, Math.max(0, rate)),
        rateText: rate === null ? 'n/a' : pct(rate),
        p95LatencyMs: p95 !== null && p95 >= 0 ? p95 : null,
        p95Text: p95 !== null && p95 >= 0 ? formatMs(p95) : 'n/a',
      };
    });
  const title = `${what} · ${snapshot.period.label}`;
  if (rows.length === 0) return noData(title);
  const used = new Set<string>();
  for (const r of rows) {
    let l = r.label;
    for (let i = 2; used.has(l); i++) l = `${r.label} (${i})`;
    used.add(l);
    r.label = l;
  }
  const y = { field: 'label', type: 'nominal', sort: rows.map((r) => r.label), title: null } as const;
  const colour = {
    field: 'provider',
    type: 'nominal',
    scale: providerScale(rows.map((r) => r.provider)),
    legend: null,
  } as const;
  const maxP95 = Math.max(1, ...rows.map((r) => r.p95LatencyMs ?? 0));
  const panel = { width: 230, height: 240 };
  return {
    config,
    title,
    data: { values: rows },
    spacing: 16,
    hconcat: [
      {
        ...panel,
        title: { text: 'Success rate', fontSize: 12, fontWeight: 400, color: INK.muted },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: {
                ...y,
                axis: { minExtent: 210, maxExtent: 210, labelLimit: 0, labelFontSize: rows.length > 12 ? 9 : 11 },
              },
              x: {
                field: 'successRate',
                type: 'quantitative',
                title: null,
                scale: { domain: [0, 1.4] },
                axis: { format: FORMAT.pctAxis, values: [0, 0.25, 0.5, 0.75, 1], labelFlush: true },
              },
              color: colour,
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 4 },
            encoding: {
              y,
              x: { field: 'successRate', type: 'quantitative', impute: null, scale: { domain: [0, 1.4] } } as never,
              text: { field: 'rateText' },
            },
          },
        ],
      },
      {
        ...panel,
        title: { text: 'p95 latency', fontSize: 12, fontWeight: 400, color: INK.muted },
        // Domains leave room for the value labels (vega estimates text at 0.8 em a character), so
        // nothing overflows the panel and the picture's size does not depend on the data.
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { ...y, axis: null },
              x: {
                field: 'p95LatencyMs',
                type: 'quantitative',
                title: null,
                scale: { domain: [0, maxP95 * 1.6], nice: false },
                axis: { labelExpr: msExpr('datum.value'), values: msTicks(maxP95 * 1.6, 3), labelFlush: true },
              },
              color: colour,
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 4 },
            encoding: {
              y: { ...y, axis: null },
              x: { field: 'p95LatencyMs', type: 'quantitative' },
              text: { field: 'p95Text' },
            },
          },
        ],
      },
    ],
  };
}

/** Cumulative cost this month, the forecast to month end (dashed) and the monthly budget (rule). */
export function monthToDateVsBudget(snapshot: Pick<Snapshot, 'finance'>, dailyCosts?: DailyCost): TopLevelSpec {
  const { monthToDate, forecast, budget } = snapshot.finance;
  const month = clean(monthToDate.month);
  const days = Math.max(0, num(monthToDate.days) ?? 0);
  const monthDays = days + Math.max(0, num(forecast.remainingDays) ?? 0);
  const what = 'Month-to-date cost vs budget';
  const title = `${what} · ${month}${monthDays > 0 ? ` (day ${days} of ${monthDays})` : ''}`;
  const mtd = num(monthToDate.costUsd);
  if (monthDays === 0 || mtd === null) return noData(title);
  const actual: Row[] = [{ day: 0, costUsd: 0, series: 'Actual' }];
  const daily = (dailyCosts ?? [])
    .filter((d) => isDay(d.date) && d.date.startsWith(`${month}-`) && num(d.costUsd) !== null)
    .sort((a, b) => a.date.localeCompare(b.date));
  if (daily.length > 0) {
    let sum = 0;
    for (const d of daily) {
      sum += d.costUsd;
      actual.push({ day: Number(d.date.slice(8, 10)), costUsd: sum, series: 'Actual' });
    }
  } else if (days > 0) {
    actual.push({ day: days, costUsd: mtd, series: 'Actual' });
  }
  const end = num(forecast.monthEndCostUsd);
  const line: Row[] = [...actual];
  if (end !== null && days < monthDays)
    line.push({ day: days, costUsd: mtd, series: 'Forecast' }, { day: monthDays, costUsd: end, series: 'Forecast' });
  const monthly = budget ? num(budget.monthlyUsd) : null;
  const parts = [`${usd(mtd)} so far`];
  if (end !== null) parts.push(`forecast ${usd(end)} at month end`);
  if (monthly !== null)
    parts.push(
      `budget ${usd(monthly)}${end !== null && monthly > 0 ? ` (forecast ${Math.round((end / monthly) * 100)}%)` : ''}`,
    );
  else parts.push('no budget set');
  const x = {
    field: 'day',
    type: 'quantitative' as const,
    title: 'Day of month',
    scale: { domain: [0, monthDays], nice: false },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const y = {
    field: 'costUsd',
    type: 'quantitative',
    title: 'Cumulative cost (USD)',
    axis: { format: FORMAT.usdAxis, tickCount: 5 },
  } as const;
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      mark: { type: 'line', strokeWidth: 2.5, point: { size: 20 } },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: ['Actual', 'Forecast'], range: [INK.accent, '#7A8691'] },
          legend: { title: null, symbolType: 'stroke', symbolStrokeWidth: 2.5 },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: {
            domain: ['Actual', 'Forecast'],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
          legend: null,
        },
      },
    },
  ];
  if (monthly !== null) {
    layers.push(
      {
        data: { values: [{ costUsd: monthly }] },
        mark: { type: 'rule', color: INK.bad, strokeWidth: 1.5, strokeDash: [2, 2] },
        encoding: { y },
      },
      {
        data: { values: [{ costUsd: monthly, text: `Budget ${usd(monthly)}` }] },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -3, color: INK.bad, fontWeight: 700 },
        encoding: { y, x: { datum: 0, type: 'quantitative' }, text: { field: 'text' } },
      },
    );
  }
  return { ...frame(title, parts.join(' · '), SIZE.wide), data: { values: line }, layer: layers };
}

const HEALTH_LABEL: Record<string, string> = {
  success_rate: 'Success rate',
  latency: 'Latency',
  cost: 'Cost',
  freshness: 'Freshness',
};

/** One bar per health component score (0–100), labelled with its target. */
export function healthComponents(snapshot: Pick<Snapshot, 'health' | 'period'>): TopLevelSpec {
  const size = { width: 720, height: 240 };
  const score = num(snapshot.health.score);
  const what = 'Health components';
  const title = `${what} · ${score === null ? 'no score' : `score ${Math.round(score)} / 100`} · ${snapshot.period.label}`;
  const values = snapshot.health.components.map((c) => {
    const s = num(c.score);
    const v = s === null ? null : Math.min(100, Math.max(0, s));
    return {
      label: HEALTH_LABEL[c.key] ?? truncate(c.key, 20),
      score: v,
      band: v === null ? 'none' : v >= 90 ? 'good' : v >= 70 ? 'warn' : 'bad',
      text: truncate(v === null ? `no data · ${c.note || c.target}` : `${Math.round(v)} · ${c.target}`, 48),
      textX: v ?? 0,
    };
  });
  if (values.length === 0) return noData(title, size);
  const y = { field: 'label', type: 'nominal', sort: values.map((v) => v.label), title: null } as const;
  return {
    ...frame(title, 'Component scores 0–100 (100 is best)', size),
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          x: {
            field: 'score',
            type: 'quantitative',
            title: null,
            scale: { domain: [0, 140] },
            axis: { values: [0, 25, 50, 75, 100] },
          },
          color: {
            field: 'band',
            type: 'nominal',
            scale: { domain: ['good', 'warn', 'bad', 'none'], range: [INK.good, INK.warn, INK.bad, '#C8CDD2'] },
            legend: null,
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 6, color: INK.text },
        encoding: { y, x: { field: 'textX', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  };
}

/** Health score per day, 0–100, with the 90 and 70 bands. */
export function healthTrend(trend: HealthTrend): TopLevelSpec {
  const what = 'Health score per day';
  const values = trend
    .map((t) => {
      const s = num(t.score);
      return { date: t.date, score: s === null ? null : Math.min(100, Math.max(0, s)) };
    })
    .filter((t) => isDay(t.date) && t.score !== null);
  if (values.length === 0) return noData(what);
  const x = dayX(values.map((v) => v.date));
  return {
    ...frame(`${what} · ${dayRange(values.map((v) => v.date))}`, null, SIZE.wide),
    data: { values },
    layer: [
      {
        data: { values: [{ y: 90 }, { y: 70 }] },
        mark: { type: 'rule', color: '#B0B7BF', strokeDash: [3, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        mark: { type: 'line', color: INK.accent, strokeWidth: 2.5, point: { color: INK.accent, size: 24 } },
        encoding: {
          x,
          y: {
            field: 'score',
            type: 'quantitative',
            title: 'Score',
            scale: { domain: [0, 100] },
            axis: { values: [0, 25, 50, 70, 90, 100] },
          },
        },
      },
    ],
  };
}

export type SparkUnit = 'ms' | 'usd' | 'ratio' | 'count';

const sparkFormat: Record<SparkUnit, Record<string, string>> = {
  ms: { labelExpr: msExpr('datum.value') },
  usd: { format: '$,.2~f' },
  ratio: { format: '.1~%' },
  count: { format: '~s' },
};

/** A small line of an alert's metric over the last hours, with the threshold (600×160 at 2×). */
export function alertSparkline(
  points: SparkPoint[],
  threshold: number,
  unit: SparkUnit,
  label = 'Metric',
): TopLevelSpec {
  const values = points
    .map((p) => ({ at: p.at, value: num(p.value) }))
    .filter(
      (p): p is { at: string; value: number } =>
        typeof p.at === 'string' && !Number.isNaN(Date.parse(p.at)) && p.value !== null,
    )
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const name = truncate(label, 28);
  const first = values[0];
  const last = values[values.length - 1];
  if (!first || !last) return noData(name, SIZE.spark);
  const hours = Math.max(1, Math.round((Date.parse(last.at) - Date.parse(first.at)) / 3_600_000));
  const to = new Date(Date.parse(last.at)).toISOString().slice(11, 16);
  const t = num(threshold);
  const x = { field: 'at', type: 'temporal', scale: { type: 'utc' }, axis: null } as const;
  const y = {
    field: 'value',
    type: 'quantitative',
    title: null,
    scale: { zero: false },
    axis: { ...sparkFormat[unit], tickCount: 3, labelFontSize: 10, domain: false, ticks: false, grid: true },
  } as const;
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    { mark: { type: 'line', color: INK.accent, strokeWidth: 2, interpolate: 'monotone' }, encoding: { x, y } },
    {
      data: { values: [last] },
      mark: { type: 'point', filled: true, color: INK.accent, size: 30 },
      encoding: { x, y },
    },
  ];
  if (t !== null) {
    layers.unshift({
      data: { values: [{ value: t }] },
      mark: { type: 'rule', color: INK.bad, strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { y },
    });
  }
  return {
    config: { ...config, padding: 8, title: { ...config.title, fontSize: 12, subtitleFontSize: 10, offset: 4 } },
    title: {
      text: `${name} · last ${hours} h to ${to} UTC`,
      subtitle: t === null ? '' : `threshold (dashed) ${formatSpark(t, unit)}`,
    },
    width: SIZE.spark.width,
    height: SIZE.spark.height,
    autosize: { type: 'fit', contains: 'padding' },
    data: { values },
    layer: layers,
  };
}

function formatSpark(v: number, unit: SparkUnit): string {
  if (unit === 'ms') return formatMs(v);
  if (unit === 'usd') return usd(v);
  if (unit === 'ratio') return pct(v);
  return v.toLocaleString('en-US');
}
