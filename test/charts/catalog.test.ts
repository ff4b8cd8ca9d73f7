import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { MAX_BARS, topModelsByCost } from '../../src/charts/breakdown-charts.js';
import { healthComponents } from '../../src/charts/health-chart.js';
import { p95ByServiceType } from '../../src/charts/latency-chart.js';
import { MAX_ROWS, providerComparison } from '../../src/charts/provider-comparison.js';
import { monthToDateVsBudget } from '../../src/charts/budget-chart.js';
import { dailyCostByProvider, healthTrend, requestsAndSuccessRate } from '../../src/charts/daily-charts.js';
import { renderChart } from '../../src/charts/render.js';
import { alertSparkline } from '../../src/charts/sparkline.js';
import type { DailySeries } from '../../src/charts/series.js';
import { dailyCosts, latency, model, operation, series, snapshot, type ChartSnapshot } from './fixtures.js';

const LONG = `${'very-long-model-name-'.repeat(25)}end`;
/** The email column (552 CSS px) at 2×. */
const EMAIL_PX = 1104;
const values = (spec: TopLevelSpec): Array<Record<string, unknown>> => {
  const d = (spec as { data?: { values?: unknown } }).data;
  return Array.isArray(d?.values) ? (d.values as Array<Record<string, unknown>>) : [];
};
const isNoData = (spec: TopLevelSpec) => JSON.stringify(spec).includes('"No data for ');

async function renders(spec: TopLevelSpec) {
  const { png, width, height } = await renderChart(spec);
  const meta = await sharp(png).metadata();
  expect([meta.width, meta.height]).toEqual([width, height]);
  expect(width).toBeGreaterThan(100);
  return { width, height };
}

function snap(over: Partial<ChartSnapshot> = {}): ChartSnapshot {
  return { ...snapshot(), ...over };
}

const row = (over: Partial<DailySeries[number]> = {}): DailySeries[number] => ({
  date: '2026-11-23',
  provider: 'openai',
  serviceType: 'content',
  requests: 100,
  successes: 98,
  costUsd: 12.5,
  p95LatencyMs: 5000,
  ...over,
});

/** Every series chart over the same edge-case input. */
const seriesCharts = (s: DailySeries) => [
  dailyCostByProvider(s),
  requestsAndSuccessRate(s),
  p95ByServiceType(s.map((r) => ({ date: r.date, serviceType: r.serviceType, p95LatencyMs: r.p95LatencyMs }))),
  healthTrend(s.map((r) => ({ date: r.date, score: r.successes }))),
];

describe('series charts survive', () => {
  it('zero rows: a "No data for …" image of the normal size', async () => {
    for (const spec of seriesCharts([])) {
      expect(isNoData(spec)).toBe(true);
      expect(await renders(spec)).toEqual({ width: EMAIL_PX, height: 280 });
    }
  });

  it('one row and a single provider: as wide as the email column', async () => {
    for (const s of [[row()], series().filter((r) => r.provider === 'luma')]) {
      for (const spec of seriesCharts(s)) {
        expect(isNoData(spec)).toBe(false);
        expect((await renders(spec)).width).toBe(EMAIL_PX);
      }
    }
  });

  it('NaN, null, Infinity and bad dates are dropped, not drawn', async () => {
    const s = [
      row(),
      row({ date: '2026-11-22', costUsd: Number.NaN, requests: Number.NaN, p95LatencyMs: null }),
      row({ date: '2026-11-21', costUsd: Infinity, successes: null as unknown as number, p95LatencyMs: Number.NaN }),
      row({ date: 'not a date' }),
      row({ date: null as unknown as string }),
    ];
    expect(values(dailyCostByProvider(s))).toHaveLength(1);
    expect(values(requestsAndSuccessRate(s)).map((v) => v.date)).toEqual(['2026-11-23', '2026-11-21']);
    for (const spec of seriesCharts(s)) await renders(spec);
    const allBad = [
      row({ costUsd: Number.NaN, requests: Number.NaN, p95LatencyMs: Number.NaN, successes: Number.NaN }),
    ];
    for (const spec of seriesCharts(allBad)) {
      expect(isNoData(spec)).toBe(true);
      await renders(spec);
    }
  });

  it('negative values, zero requests, very long and odd provider names', async () => {
    const s = [
      row({ costUsd: -40 }),
      row({ provider: LONG, costUsd: 10 }),
      row({ provider: 'Open\u0000AI\n<b>&', costUsd: 3 }),
      row({ date: '2026-11-22', requests: 0, successes: 0, p95LatencyMs: -5 }),
      row({ date: '2026-11-20', provider: '', costUsd: 1 }),
    ];
    for (const spec of seriesCharts(s)) await renders(spec);
    expect(values(requestsAndSuccessRate(s)).find((v) => v.date === '2026-11-22')?.successRate).toBeNull();
  });

  it('p95 by service type ignores non-positive latencies, one panel per service type', () => {
    expect(values(p95ByServiceType([{ date: '2026-11-23', serviceType: 'video', p95LatencyMs: 0 }]))).toHaveLength(1); // the no-data datum
    expect(isNoData(p95ByServiceType([{ date: '2026-11-23', serviceType: 'video', p95LatencyMs: 0 }]))).toBe(true);
    const panels = (p95ByServiceType(latency()) as { vconcat: TopLevelSpec[] }).vconcat;
    expect(panels.map((p) => values(p).length)).toEqual([30, 30, 30]);
  });
});

describe('top models by cost', () => {
  it('caps 5,000 models at MAX_BARS bars plus "other"', async () => {
    const top = Array.from({ length: 5000 }, (_, i) =>
      model(['openai', 'flux', 'acme'][i % 3]!, 'content', `model-${i}`, 5000 - i),
    );
    const spec = topModelsByCost(
      snap({ models: { top, other: { ...model('other', 'other', 'other', 7, 10), models: 3 } } }),
    );
    const v = values(spec);
    expect(v).toHaveLength(MAX_BARS + 1);
    expect(v.at(-1)?.label).toBe(`other (${(5000 - MAX_BARS + 3).toLocaleString('en-US')} models)`);
    // Each row is 50 px (100 at 2×): the 21 rows stand 12 rows taller than the fixture's 9.
    const nine = await renders(topModelsByCost(snap()));
    expect(values(topModelsByCost(snap()))).toHaveLength(9);
    expect(await renders(spec)).toEqual({ width: EMAIL_PX, height: nine.height + 12 * 100 });
  });

  it('truncates long names with an ellipsis and keeps duplicate labels apart', async () => {
    const spec = topModelsByCost(
      snap({
        models: {
          top: [
            model('openai', 'content', LONG, 5),
            model('openai', 'content', LONG, 4),
            model('openai', 'images', 'x', -3),
          ],
          other: null,
        },
      }),
    );
    const labels = values(spec).map((v) => String(v.label));
    expect(labels[0]).toMatch(/…/);
    expect(labels[0]!.length).toBeLessThan(60);
    expect(new Set(labels).size).toBe(3);
    await renders(spec);
  });

  it('no models, NaN costs, a single model', async () => {
    const empty = topModelsByCost(snap({ models: { top: [], other: null } }));
    expect(isNoData(empty)).toBe(true);
    expect((await renders(empty)).width).toBe(EMAIL_PX);
    const nan = topModelsByCost(snap({ models: { top: [model('openai', 'content', 'a', Number.NaN)], other: null } }));
    expect(isNoData(nan)).toBe(true);
    await renders(topModelsByCost(snap({ models: { top: [model('luma', 'video', 'ray-2', 0)], other: null } })));
  });
});

describe('provider comparison', () => {
  it('nulls, NaN, zero traffic, one row, long names, many rows', async () => {
    const ops = [
      operation('openai', 'content', 10, null, null),
      operation(LONG, LONG, 5, Number.NaN, Number.NaN),
      operation('flux', 'images', 0, 1, 10),
    ];
    const spec = providerComparison(snap({ operations: ops }));
    expect(values(spec).map((v) => v.rateText)).toEqual(['n/a of 10 calls', 'n/a of 5 calls']);
    // Rows span the plot between the paddings and their text is clipped to it: the width holds.
    expect((await renders(spec)).width).toBe(EMAIL_PX);
    expect(
      (await renders(providerComparison(snap({ operations: [operation('luma', 'video', 1, 1, 120000)] })))).width,
    ).toBe(EMAIL_PX);
    const many = providerComparison(
      snap({ operations: Array.from({ length: 300 }, (_, i) => operation(`p${i}`, 'content', 10, 0.9, 1000 * i)) }),
    );
    expect(values(many)).toHaveLength(MAX_ROWS);
    expect((await renders(many)).width).toBe(EMAIL_PX);
    const none = providerComparison(snap({ operations: [] }));
    expect(isNoData(none)).toBe(true);
    await renders(none);
  });
});

describe('month to date vs budget', () => {
  it('with and without daily costs, without a budget, negative and NaN, first day, empty month', async () => {
    const s = snap();
    await renders(monthToDateVsBudget(s));
    await renders(
      monthToDateVsBudget(s, [
        ...dailyCosts(),
        { date: '2026-10-31', costUsd: 1e9 },
        { date: '2026-11-05', costUsd: Number.NaN },
      ]),
    );
    expect(values(monthToDateVsBudget(s, dailyCosts())).filter((v) => v.series === 'Actual')).toHaveLength(24);
    await renders(monthToDateVsBudget(snap({ finance: { ...s.finance, budget: null } })));
    await renders(
      monthToDateVsBudget(
        snap({
          finance: {
            ...s.finance,
            monthToDate: { month: '2026-11', days: 1, costUsd: -20 },
            forecast: { ...s.finance.forecast, monthEndCostUsd: Number.NaN },
          },
        }),
      ),
    );
    const empty = monthToDateVsBudget(
      snap({
        finance: {
          ...s.finance,
          monthToDate: { month: '2026-11', days: 0, costUsd: Number.NaN },
          forecast: { ...s.finance.forecast, remainingDays: 0 },
        },
      }),
    );
    expect(isNoData(empty)).toBe(true);
    expect(await renders(empty)).toEqual({ width: EMAIL_PX, height: 280 });
  });
});

describe('health components', () => {
  it('null scores and no components', async () => {
    const s = snap();
    const spec = healthComponents(
      snap({
        health: {
          score: null,
          override: null,
          components: s.health.components.map((c) => ({
            ...c,
            score: c.key === 'cost' ? null : Number.NaN,
            note: 'no budget and no baseline',
          })),
        },
      }),
    );
    expect(values(spec).every((v) => v.score === null)).toBe(true);
    expect((await renders(spec)).width).toBe(EMAIL_PX);
    const none = healthComponents(snap({ health: { score: null, components: [], override: null } }));
    expect(isNoData(none)).toBe(true);
    expect((await renders(none)).width).toBe(EMAIL_PX);
  });
});

describe('alert sparkline', () => {
  it('is 600×160 at 2× for no, one, NaN and negative points', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 23, 10, m)).toISOString();
    for (const points of [
      [],
      [{ at: at(0), value: 5 }],
      [
        { at: at(0), value: Number.NaN },
        { at: 'bad', value: 1 },
      ],
      [
        { at: at(0), value: -5 },
        { at: at(30), value: null },
        { at: at(10), value: 3 },
      ],
    ]) {
      for (const unit of ['ms', 'usd', 'ratio', 'count'] as const) {
        expect(await renders(alertSparkline(points, unit === 'ratio' ? 0.95 : 4, unit, LONG))).toEqual({
          width: 600,
          height: 160,
        });
      }
    }
    expect(await renders(alertSparkline([{ at: at(0), value: 1 }], Number.NaN, 'count'))).toEqual({
      width: 600,
      height: 160,
    });
  });
});
