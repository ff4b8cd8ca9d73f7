import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import { msTicks } from './chart-axes.js';
import { frame, noData } from './chart-frame.js';
import { clean, num, pct, provider, type Row, truncate, usd } from './chart-values.js';
import { config, FORMAT, formatMs, INK, msExpr, providerScale } from './theme.js';

/**
 * The breakdowns of one period as horizontal bars: cost by model, success rate and latency by
 * provider, the health score by component.
 */

export const MAX_BARS = 20;

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
