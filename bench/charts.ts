// npm run bench:charts -- [--rounds 15] [--renders 1000]
//
// Median ms per catalog chart at 2× (compile + vega + SVG + sharp PNG), over fixture data, then
// RSS at render 100 and at render N of a loop over the whole catalog.
// Targets: ≤ 40 ms median per chart; RSS growth ≤ 10% from render 100 to render 1,000.
import { parseArgs } from 'node:util';
import { renderChart } from '../src/charts/render.js';
import { catalogCases } from '../test/charts/fixtures.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, renders: { type: 'string', default: '1000' } } });
const rounds = Number(values.rounds);
const renders = Number(values.renders);
const cases = catalogCases();
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

for (const c of cases) await renderChart(c.spec); // warm up (JIT, fontconfig cache)

console.log(`median of ${rounds} renders per chart at 2×:`);
const medians: number[] = [];
for (const c of cases) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    bytes = (await renderChart(c.spec)).png.length;
    times.push(performance.now() - t0);
  }
  medians.push(median(times));
  console.log(`  ${c.name.padEnd(28)} ${median(times).toFixed(1).padStart(6)} ms  (${(bytes / 1024).toFixed(0)} KB)`);
}
const overall = median(medians);
console.log(`median over the catalog: ${overall.toFixed(1)} ms per chart (target ≤ 40 ms)${overall <= 40 ? '' : '  ← over target'}`);

let at100 = 0;
let peak = 0;
const t0 = performance.now();
for (let i = 1; i <= renders; i++) {
  await renderChart(cases[i % cases.length]!.spec);
  const rss = process.memoryUsage.rss();
  peak = Math.max(peak, rss);
  if (i === 100) at100 = rss;
}
const atN = process.memoryUsage.rss();
const growth = ((atN - at100) / at100) * 100;
console.log(`${renders} renders in ${((performance.now() - t0) / 1000).toFixed(1)} s: RSS ${mb(at100)} at render 100, ${mb(atN)} at render ${renders} (peak ${mb(peak)}), growth ${growth.toFixed(1)}% (target ≤ 10%)${growth <= 10 ? '' : '  ← over target'}`);
