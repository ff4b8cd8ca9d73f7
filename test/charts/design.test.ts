import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { topModelsByCost } from '../../src/charts/breakdown-charts.js';
import { monthToDateVsBudget } from '../../src/charts/budget-chart.js';
import { dayX, msLogTicks, msTicks, niceTicks, rateAxis } from '../../src/charts/chart-axes.js';
import {
  calls,
  count,
  minutes,
  ms,
  msTick,
  pct,
  pctTick,
  truncate,
  usd,
  usdTick,
} from '../../src/charts/chart-values.js';
import { dailyCostByProvider, requestsAndSuccessRate } from '../../src/charts/daily-charts.js';
import { healthComponents } from '../../src/charts/health-chart.js';
import { p95ByServiceType } from '../../src/charts/latency-chart.js';
import { providerComparison } from '../../src/charts/provider-comparison.js';
import { renderChart } from '../../src/charts/render.js';
import { interWidth } from '../../src/charts/text-width.js';
import { INK, providerColour, providerScale } from '../../src/charts/theme.js';
import { dailyCosts, HEALTH_LIMITS, latency, REPORT_DAY, series, snapshot, TARGETS_MS } from './fixtures.js';

/**
 * The chart design (docs/charts.md): stable provider colours apart from the status colours,
 * zoomed axes that say so, thresholds and the report's day drawn, request counts beside rates,
 * health components with their values, and labels in the report's number formats.
 */

const json = (spec: TopLevelSpec) => JSON.stringify(spec);
type Layered = { layer?: Array<Record<string, unknown>>; vconcat?: Layered[]; data?: { values?: unknown[] } };
/** Every data value of a spec and its layers and panels. */
function allValues(spec: unknown): Array<Record<string, unknown>> {
  const s = spec as Layered;
  return [
    ...((s.data?.values ?? []) as Array<Record<string, unknown>>),
    ...(s.layer ?? []).flatMap(allValues),
    ...(s.vconcat ?? []).flatMap(allValues),
  ];
}

/** Hue in degrees and saturation (HSL) of "#rrggbb", computed here, not by the code under test. */
function hueOf(hex: string): { hue: number; saturation: number } {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  const l = (max + min) / 2;
  const saturation = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
  let hue = 0;
  if (d > 0) {
    if (max === r) hue = 60 * (((g - b) / d) % 6);
    else if (max === g) hue = 60 * ((b - r) / d + 2);
    else hue = 60 * ((r - g) / d + 4);
  }
  return { hue: (hue + 360) % 360, saturation };
}

describe('colours', () => {
  const known = ['openai', 'anthropic', 'google', 'mistral', 'flux', 'bfl', 'ideogram', 'luma', 'runway', 'stability'];
  const others = ['acme', 'replicate', 'together', 'fireworks', 'groq', 'cohere', 'deepseek', 'xai', 'perplexity'];

  it('a provider has one colour whatever the set or order of providers, and case or spaces', () => {
    const a = providerScale(['runway', 'acme', 'openai', 'luma']);
    const b = providerScale(['luma', 'zeta', 'acme']);
    const colourIn = (s: { domain: string[]; range: string[] }, p: string) => s.range[s.domain.indexOf(p)];
    expect(colourIn(a, 'luma')).toBe(colourIn(b, 'luma'));
    expect(colourIn(a, 'acme')).toBe(colourIn(b, 'acme'));
    expect(providerColour(' OpenAI ')).toBe(providerColour('openai'));
    expect(providerColour('ACME')).toBe(providerColour('acme'));
    // The cost chart of every provider and of all but openai give flux the same colour.
    const scaleOf = (spec: TopLevelSpec) =>
      (json(spec).match(/"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])\}/) ?? [])
        .slice(1)
        .map((x) => JSON.parse(x));
    const [d1, r1] = scaleOf(dailyCostByProvider(series()));
    const [d2, r2] = scaleOf(dailyCostByProvider(series().filter((r) => r.provider !== 'openai')));
    expect(r1[d1.indexOf('flux')]).toBe(r2[d2.indexOf('flux')]);
    expect(d2).not.toContain('openai');
  });

  it('known providers differ from each other (flux and bfl are one); other providers are not grey', () => {
    const colours = known.filter((p) => p !== 'bfl').map(providerColour);
    expect(new Set(colours).size).toBe(colours.length);
    expect(providerColour('bfl')).toBe(providerColour('flux'));
    for (const p of others) expect(providerColour(p)).not.toBe(providerColour('other'));
    expect(providerColour('unknown')).toBe(providerColour('other'));
  });

  it('status colours are green, amber and red, and no provider colour is any of those hues', () => {
    expect(hueOf(INK.good).hue).toBeGreaterThan(90);
    expect(hueOf(INK.good).hue).toBeLessThan(160);
    expect(hueOf(INK.warn).hue).toBeGreaterThan(30);
    expect(hueOf(INK.warn).hue).toBeLessThan(60);
    expect(hueOf(INK.bad).hue > 340 || hueOf(INK.bad).hue < 15).toBe(true);
    for (const p of [...known, ...others]) {
      const { hue, saturation } = hueOf(providerColour(p));
      // Blues, purples and pinks only: clear of red (345–20), amber (20–70) and green (70–170).
      expect(saturation < 0.15 || (hue >= 175 && hue <= 335), `${p} ${providerColour(p)} hue ${hue}`).toBe(true);
    }
  });
});

describe('number labels', () => {
  it.each([
    [usd(1234.5), '$1,234.50'],
    [usd(-40), '−$40.00'],
    [usdTick(2.5), '$2.5'],
    [usdTick(5000), '$5,000'],
    [pct(0.9384), '93.8%'],
    [pct(1), '100.0%'],
    [pctTick(0.975), '97.5%'],
    [pctTick(0.9), '90%'],
    [count(58018), '58,018'],
    [calls(1), '1 call'],
    [calls(30), '30 calls'],
    [ms(850), '850 ms'],
    [ms(8271), '8.3 s'],
    [ms(115_046), '115.0 s'],
    [ms(144_265), '2.4 min'],
    [msTick(0), '0'],
    [msTick(30_000), '30 s'],
    [msTick(240_000), '4 min'],
    [minutes(0.4), 'under 1 min'],
    [minutes(95), '95 min'],
    [minutes(150), '2.5 h'],
  ])('%s is %s', (got, want) => {
    expect(got).toBe(want);
  });

  it('truncates by characters, not UTF-16 units', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('😀😀😀😀😀', 3)).toBe('😀😀…');
    expect(truncate('short')).toBe('short');
  });
});

describe('axes', () => {
  it('zooms the success-rate axis to the round floor below the rates and the SLO, and says so', () => {
    // 93.8% and 100%: the highest of 99/98/95/90/80% below 93.6% is 90%.
    const a = rateAxis([0.938, 1], 0.99);
    expect(a.domain).toEqual([0.9, 1]);
    expect(a.note).toBe('axis from 90%');
    expect(a.values).toEqual([0.9, 0.95, 1]);
    // All at 100% with a 99% SLO: room below the SLO, from 98%.
    expect(rateAxis([1, 1], 0.99).domain).toEqual([0.98, 1]);
    expect(rateAxis([0.2], null).domain).toEqual([0, 1]);
    expect(rateAxis([0.2], null).values).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('round ticks: counts, latency, log latency with at least three ticks in the comparison', () => {
    expect(niceTicks(21_339, 3)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(niceTicks(480, 3)).toEqual([0, 200, 400, 600]);
    expect(msTicks(260_000, 3)).toEqual([0, 120_000, 240_000]);
    expect(msTicks(900, 4)).toEqual([0, 500]);
    expect(msLogTicks(5000, 400_000)).toEqual([10_000, 30_000, 60_000, 120_000, 300_000]);
    // Seven steps from 1 s to 5 min, every third kept.
    expect(msLogTicks(1000, 400_000, 3)).toEqual([1000, 30_000, 300_000]);
    const s = snapshot();
    const spec = providerComparison(s, { ...HEALTH_LIMITS, targetsMs: TARGETS_MS });
    const p95Axis = json(spec).match(/"field":"p95LatencyMs"[^{]*\{[^}]*\}[^}]*"axis":\{"values":(\[[^\]]*\])/);
    expect(JSON.parse(p95Axis?.[1] ?? '[]').length).toBeGreaterThan(2);
  });

  it('day labels a week apart, ending on the last day; the report day in bold', () => {
    const days = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10));
    const x = dayX(days, ['2026-11-30']);
    expect(x.axis.values).toEqual(['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
    expect(JSON.stringify(x.axis)).toContain('"value":"bold"');
  });
});

describe('what the charts draw', () => {
  const highlight = [REPORT_DAY];

  it('success rate: the SLO line, the zoomed axis stated, the report day marked', () => {
    const spec = requestsAndSuccessRate(series(), { highlight, slo: 0.99 });
    const text = json(spec);
    expect(allValues(spec)).toContainEqual({ successRate: 0.99 });
    expect(text).toMatch(/Success rate · axis from \d+(\.\d)?% · SLO 99% dashed/);
    expect(text).toContain(`indexof([\\"${REPORT_DAY}\\"], datum.date) >= 0`);
    expect(allValues(spec).some((v) => v.date === REPORT_DAY && Object.keys(v).length === 1)).toBe(true);
  });

  it('p95: each service type against its own target', () => {
    const spec = p95ByServiceType(latency(), { highlight, targetsMs: TARGETS_MS });
    for (const t of Object.values(TARGETS_MS)) expect(allValues(spec)).toContainEqual({ p95LatencyMs: t });
    // Each panel's title gives the day's p95 and the target in the target's unit.
    for (const t of ['target 15.0 s dashed', 'target 30.0 s dashed', 'target 4.0 min dashed'])
      expect(json(spec)).toContain(t);
  });

  it('cost per day: the report day outlined, with its cost in the subtitle', () => {
    const spec = dailyCostByProvider(series(), { highlight });
    const dayCost = series()
      .filter((r) => r.date === REPORT_DAY)
      .reduce((n, r) => n + r.costUsd, 0);
    const outline = allValues(spec).find((v) => v.date === REPORT_DAY && 'total' in v);
    expect(outline?.total).toBeCloseTo(dayCost, 6);
    expect(json(spec)).toContain(`Nov 23 (outlined): ${usd(dayCost)}`);
  });

  it('month to date: the budget line', () => {
    const spec = monthToDateVsBudget(snapshot(), dailyCosts());
    expect(allValues(spec)).toContainEqual({ costUsd: 5000 });
    expect(json(spec)).toContain('budget $5,000.00 dashed');
  });

  it('providers compared: status colours from the SLO and targets, request counts beside rates', () => {
    const spec = providerComparison(snapshot(), { ...HEALTH_LIMITS, targetsMs: TARGETS_MS });
    const rows = allValues(spec).filter((v) => 'rateStatus' in v);
    // By hand from the fixture: SLO 99%, floor 90%; targets content 15 s, images 30 s, video 4 min.
    expect(rows.map((r) => [r.label, r.rateStatus, r.p95Status, r.rateText])).toEqual([
      ['openai · content', 'good', 'good', '99.1% of 9,000 calls'],
      ['anthropic · content', 'warn', 'good', '98.7% of 6,000 calls'],
      ['flux · images', 'warn', 'good', '97.2% of 2,500 calls'],
      ['ideogram · images', 'warn', 'good', '95.0% of 900 calls'],
      ['luma · video', 'warn', 'good', '91.0% of 120 calls'],
      ['runway · video', 'warn', 'good', '96.0% of 80 calls'],
    ]);
    // Colour by status, never by provider.
    expect(json(spec)).not.toContain(providerColour('openai'));
    const red = providerComparison(
      { ...snapshot(), operations: [{ ...snapshot().operations[0]!, successRate: 0.85, p95LatencyMs: 40_000 }] },
      { ...HEALTH_LIMITS, targetsMs: TARGETS_MS },
    );
    const [only] = allValues(red).filter((v) => 'rateStatus' in v);
    // 85% is under the 90% floor; 40 s is over twice content's 15 s target.
    expect([only?.rateStatus, only?.p95Status]).toEqual(['bad', 'bad']);
  });

  it('health components: each value beside its target, not only the scores', () => {
    const labels = allValues(healthComponents(snapshot()))
      .filter((v) => 'band' in v)
      .map((v) => v.label);
    expect(labels).toEqual([
      'Success rate: 98.4% · SLO 99%',
      // A p95 and its target in one unit, seconds with one decimal.
      'Latency: content p95 7.8 s · target 15.0 s',
      // 150 / 166.67 = 90%.
      'Cost: $150.00 · 90% of budget $166.67',
      'Freshness: data 95 min old · limit 60 min',
    ]);
  });

  it('top models: each bar in its provider colour', () => {
    const text = json(topModelsByCost(snapshot()));
    for (const p of ['openai', 'anthropic', 'luma']) expect(text).toContain(providerColour(p));
  });
});

describe('text widths', () => {
  it('match what the rasteriser draws: the inked width of a line is within 4% of the computed one', async () => {
    const line = 'Cost per day by provider · $2,039.09';
    for (const bold of [false, true]) {
      const spec: TopLevelSpec = {
        config: { font: 'Inter' },
        width: 800,
        height: 60,
        autosize: { type: 'none' },
        data: { values: [{}] },
        mark: { type: 'text', fontSize: 40, align: 'left', fontWeight: bold ? 'bold' : 'normal', x: 10, y: 30 },
        encoding: { text: { value: line } },
      };
      const { png } = await renderChart(spec, { scale: 1 });
      const { info } = await sharp(png).flatten({ background: '#ffffff' }).trim({ threshold: 40 }).toBuffer({
        resolveWithObject: true,
      });
      // Ink is a little narrower than the advances (side bearings of the first and last glyph).
      const advances = interWidth(line, 40, bold);
      expect(info.width).toBeLessThanOrEqual(advances);
      expect(info.width).toBeGreaterThan(advances * 0.96);
    }
  });
});
