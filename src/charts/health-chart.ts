import type { TopLevelSpec } from 'vega-lite';
import type { HealthComponent } from '../metrics/health.js';
import type { Snapshot } from '../metrics/snapshot.js';
import { noData, rowFrame } from './chart-frame.js';
import { markY, placeRows, rowText } from './chart-rows.js';
import { clean, minutes, ms, msTogether, num, pct, pctTick, truncate, usd } from './chart-values.js';
import { INK } from './theme.js';

/**
 * The health score by component, one row each: what was measured against what ("Success rate
 * 97.8% · SLO 99%", "Cost $67.90 · 86% of usual $79.15"), its score on the right, and the score
 * as a bar on a 0–100 track, green from 90, amber from 70, red below. Several components at 100
 * still say something: their measured values.
 */

const NAME: Record<string, string> = {
  success_rate: 'Success rate',
  latency: 'Latency',
  cost: 'Cost',
  freshness: 'Freshness',
};

/** The fields of one kind of component inputs, or null when the snapshot has other (or none). */
function inputsOf(c: HealthComponent, key: string): Record<string, unknown> | null {
  const inputs = (c as { inputs?: unknown }).inputs;
  return inputs !== null && typeof inputs === 'object' && key in inputs ? (inputs as Record<string, unknown>) : null;
}

function successText(c: HealthComponent, value: number | null): string {
  if (value === null) return 'no traffic';
  const slo = num(inputsOf(c, 'slo')?.slo);
  return `${pct(value)} · ${slo === null ? clean(c.target) : `SLO ${pctTick(slo)}`}`;
}

function latencyText(c: HealthComponent, value: number | null): string {
  const services = inputsOf(c, 'services')?.services;
  const rated = Array.isArray(services)
    ? (services as Array<{ serviceType: unknown; p95Ms: unknown; targetMs: unknown }>)
        .map((s) => ({ type: clean(s.serviceType), p95: num(s.p95Ms), target: num(s.targetMs) }))
        .filter(
          (s): s is { type: string; p95: number; target: number } =>
            s.p95 !== null && s.target !== null && s.target > 0,
        )
    : [];
  if (rated.length > 0) {
    // The service closest to (or furthest past) its target says the most.
    const worst = rated.reduce((a, b) => (b.p95 / b.target > a.p95 / a.target ? b : a));
    const f = msTogether([worst.p95, worst.target]);
    return `${truncate(worst.type, 12)} p95 ${f(worst.p95)} · target ${f(worst.target)}`;
  }
  return value === null ? 'no latency data' : `p95 ${ms(value)}`;
}

function costText(c: HealthComponent, value: number | null): string {
  const i = inputsOf(c, 'basis');
  const cost = value === null ? 'n/a' : usd(value);
  const budget = num(i?.budgetUsd);
  const baseline = num(i?.baselineUsd);
  const share = (of: number) => (value === null ? '' : `${Math.round((value / of) * 100)}% of `);
  if (i?.basis === 'budget' && budget !== null && budget > 0) return `${cost} · ${share(budget)}budget ${usd(budget)}`;
  if (i?.basis === 'baseline' && baseline !== null && baseline > 0)
    return `${cost} · ${share(baseline)}usual ${usd(baseline)}`;
  return `${cost} · ${truncate(clean(c.target), 28)}`;
}

function freshnessText(c: HealthComponent): string {
  const i = inputsOf(c, 'dataAgeMinutes');
  const data = num(i?.dataAgeMinutes);
  const refresh = num(i?.refreshAgeMinutes);
  if (i && i.decidedBy === 'refresh' && refresh !== null)
    return `refreshed ${minutes(refresh)} ago · limit ${minutes(num(i.maxRefreshAgeMinutes) ?? 0)}`;
  if (i && data !== null) return `data ${minutes(data)} old · limit ${minutes(num(i.maxDataAgeMinutes) ?? 0)}`;
  return truncate(clean(c.note) || clean(c.target), 34);
}

/** A component's name and what it measured against what: ["Cost", "$43.51 · 85% of usual $50.90"]. */
export function componentReading(c: HealthComponent): [name: string, reading: string] {
  const value = num(c.value);
  const name = NAME[c.key] ?? truncate(clean(c.key), 16);
  const text =
    c.key === 'success_rate'
      ? successText(c, value)
      : c.key === 'latency'
        ? latencyText(c, value)
        : c.key === 'cost'
          ? costText(c, value)
          : c.key === 'freshness'
            ? freshnessText(c)
            : truncate(clean(c.note) || clean(c.target), 34);
  return [name, text];
}

const componentText = (c: HealthComponent) => componentReading(c).join(': ');

export function healthComponents(snapshot: Pick<Snapshot, 'health' | 'period'>): TopLevelSpec {
  const score = num(snapshot.health.score);
  const what = 'Health components';
  const rows = snapshot.health.components.map((c, row) => {
    const s = num(c.score);
    const v = s === null ? null : Math.min(100, Math.max(0, s));
    return {
      row,
      label: componentText(c),
      score: v,
      full: 100,
      band: v === null ? 'none' : v >= 90 ? 'good' : v >= 70 ? 'warn' : 'bad',
      text: v === null ? 'no data' : `score ${Math.round(v)}`,
    };
  });
  if (rows.length === 0) return noData(`${what} · ${snapshot.period.label}`);
  const values = placeRows(rows);
  const y = markY(values.length);
  const x = { field: 'score', type: 'quantitative' as const, scale: { domain: [0, 100], nice: false }, axis: null };
  const overall = score === null ? 'not scored' : `score ${Math.round(score)} of 100`;
  return {
    ...rowFrame(what, `${snapshot.period.label} · ${overall} · bars 0–100, 100 on target`, values.length),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: INK.grid },
        encoding: { x: { ...x, field: 'full' }, x2: { datum: 0 }, y: y.top, y2: y.bottom },
      },
      {
        transform: [{ filter: 'datum.score != null' }],
        mark: { type: 'bar' },
        encoding: {
          x,
          x2: { datum: 0 },
          y: y.top,
          y2: y.bottom,
          color: {
            field: 'band',
            type: 'nominal',
            scale: { domain: ['good', 'warn', 'bad'], range: [INK.good, INK.warn, INK.bad] },
            legend: null,
          },
        },
      },
      ...rowText(values.length, 'label', 'text'),
    ],
  };
}
