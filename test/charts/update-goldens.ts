// npm run charts:golden — regenerates test/charts/golden/*.png when a chart change is intended.
// Look at the new files (and the git diff of them) before committing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from '../../src/charts/render.js';
import { catalogCases, GOLDEN } from './fixtures.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
mkdirSync(dir, { recursive: true });
for (const c of catalogCases().filter((c) => GOLDEN.includes(c.name))) {
  const { png, width, height } = await renderChart(c.spec);
  writeFileSync(join(dir, `${c.name}.png`), png);
  console.log(`${c.name}.png  ${width}×${height}  ${(png.length / 1024).toFixed(0)} KB`);
}
