import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import { noData, rowFrame } from './chart-frame.js';
import { markY, placeRows, rowText } from './chart-rows.js';
import { clean, count, num, provider, truncate, usd } from './chart-values.js';
import { providerScale } from './theme.js';

/**
 * Cost by model in one period, as a row chart (chart-rows.ts). The other row charts: providers
 * compared (provider-comparison.ts) and the health components (health-chart.ts).
 */

export const MAX_BARS = 20;

type ModelsInput = Pick<Snapshot, 'models' | 'period'>;

/** One row per model, its cost as a bar in its provider's colour; then "other (N models)". */
export function topModelsByCost(snapshot: ModelsInput): TopLevelSpec {
  const what = 'Top models by cost';
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
  const rows: Array<{ label: string; provider: string; costUsd: number; text: string }> = shown.map((m) => {
    const p = provider(m.provider);
    return {
      label: unique(`${truncate(clean(m.model) || '?', 30)} · ${truncate(p, 14)}`),
      provider: p,
      costUsd: m.costUsd,
      text: usd(m.costUsd),
    };
  });
  if (other && other.models > 0) {
    rows.push({
      label: unique(`other (${count(other.models)} ${other.models === 1 ? 'model' : 'models'})`),
      provider: 'other',
      costUsd: other.costUsd,
      text: usd(other.costUsd),
    });
  }
  if (rows.length === 0) return noData(`${what} · ${snapshot.period.label}`);
  const values = placeRows(rows.map((r, row) => ({ ...r, row })));
  const costs = values.map((v) => v.costUsd);
  const total = costs.reduce((n, c) => n + c, 0);
  const y = markY(values.length);
  const x = {
    field: 'costUsd',
    type: 'quantitative' as const,
    scale: { domain: [Math.min(0, ...costs), Math.max(0, ...costs) || 1], nice: false },
    axis: null,
  };
  return {
    ...rowFrame(what, `${snapshot.period.label} · ${usd(total)} in total`, values.length),
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          x2: { datum: 0 },
          y: y.top,
          y2: y.bottom,
          color: {
            field: 'provider',
            type: 'nominal',
            scale: providerScale(values.map((v) => String(v.provider))),
            legend: null,
          },
        },
      },
      ...rowText(values.length, 'label', 'text'),
    ],
  };
}
