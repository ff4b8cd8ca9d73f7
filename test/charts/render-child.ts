// Renders one catalog chart in a fresh process and writes the PNG to argv[3] (the no-system-fonts
// test runs this with FONTCONFIG_FILE unset and HOME/XDG_* pointing at an empty directory).
import { writeFileSync } from 'node:fs';
import { renderChart } from '../../src/charts/render.js';
import { catalogCases } from './fixtures.js';

const [name, out] = process.argv.slice(2);
const c = catalogCases().find((x) => x.name === name);
if (!c || !out) throw new Error(`usage: render-child.ts <chart> <out.png>`);
writeFileSync(out, (await renderChart(c.spec)).png);
console.log(process.env.FONTCONFIG_FILE);
