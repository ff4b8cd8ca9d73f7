// npm run bench -- charts [--rounds 15] [--renders 1000]
//
// Median ms per catalog chart at 2× (compile + vega + SVG + sharp PNG), over fixture data, then
// RSS at render 100 and at render N of a loop over the whole catalog. No database.
import { renderChart } from '../src/charts/render.js';
import { catalogCases } from '../test/charts/fixtures.js';
import { type BenchContext, type BenchResult, positiveInt } from './lib/bench.js';
import type { Metric } from './lib/metric.js';
import { median } from './lib/stats.js';

const MB = 2 ** 20;

export async function run({ options }: BenchContext): Promise<BenchResult> {
  const rounds = positiveInt(options, 'rounds');
  const renders = positiveInt(options, 'renders', { min: 101 });
  const cases = catalogCases();
  for (const c of cases) await renderChart(c.spec); // warm up (JIT, fontconfig cache)

  const perChart: Metric[] = [];
  for (const c of cases) {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await renderChart(c.spec);
      times.push(performance.now() - t0);
    }
    perChart.push({ name: `charts.render_${c.name}`, unit: 'ms', better: 'lower', samples: times, detail: true });
  }

  let at100 = 0;
  let peak = 0;
  for (let i = 1; i <= renders; i++) {
    await renderChart(cases[i % cases.length]!.spec);
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    if (i === 100) at100 = rss;
  }
  const atN = process.memoryUsage.rss();
  return {
    postgres: null,
    metrics: [
      // Issue 5: ≤ 40 ms median per chart, over the catalog's per-chart medians.
      {
        name: 'charts.render_per_chart',
        unit: 'ms',
        better: 'lower',
        samples: perChart.map((m) => median(m.samples)),
        target: { max: 40 },
      },
      // Issue 5: RSS growth ≤ 10% from render 100 to render 1,000.
      {
        name: `charts.rss_growth_100_to_${renders}`,
        unit: '%',
        better: 'lower',
        samples: [((atN - at100) / at100) * 100],
        target: { max: 10 },
      },
      { name: 'charts.rss_at_render_100', unit: 'MB', better: 'lower', samples: [at100 / MB], detail: true },
      { name: `charts.rss_at_render_${renders}`, unit: 'MB', better: 'lower', samples: [atN / MB], detail: true },
      { name: 'charts.rss_peak', unit: 'MB', better: 'lower', samples: [peak / MB], detail: true },
      ...perChart,
    ],
  };
}
