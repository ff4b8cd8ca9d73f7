import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { ChartLoadError, lockedLoader, renderChart } from '../../src/charts/render.js';
import { catalogCases, GOLDEN } from './fixtures.js';
import { diffPngs, MAX_DIFF_SHARE } from './pixels.js';

const here = join(process.cwd(), 'test', 'charts');
const scratch = mkdtempSync(join(tmpdir(), 'pulsebot-charts-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('catalog renders', () => {
  for (const c of catalogCases()) {
    it(`${c.name}: a ${c.width}×${c.height} PNG at 2×`, async () => {
      const r = await renderChart(c.spec);
      const meta = await sharp(r.png).metadata();
      expect(meta.format).toBe('png');
      expect([meta.width, meta.height]).toEqual([c.width, c.height]);
      expect([r.width, r.height]).toEqual([c.width, c.height]);
    });
  }

  it('scale 1 halves the size', async () => {
    const c = catalogCases().find((x) => x.name === 'alert-sparkline')!;
    const r = await renderChart(c.spec, { scale: 1 });
    expect([r.width, r.height]).toEqual([300, 80]);
  });
});

describe('golden PNGs (npm run charts:golden regenerates them)', () => {
  for (const c of catalogCases().filter((x) => GOLDEN.includes(x.name))) {
    it(`${c.name} matches golden/${c.name}.png`, async () => {
      const golden = readFileSync(join(here, 'golden', `${c.name}.png`));
      const { png } = await renderChart(c.spec);
      const d = await diffPngs(png, golden);
      expect(d.sameSize).toBe(true);
      expect(d.share).toBeLessThanOrEqual(MAX_DIFF_SHARE);
    });
  }

  it('the comparison notices a different chart', async () => {
    const [a, b] = catalogCases().filter((x) => x.name === 'daily-cost-by-provider' || x.name === 'no-data');
    const d = await diffPngs((await renderChart(a!.spec)).png, (await renderChart(b!.spec)).png);
    expect(d.share).toBeGreaterThan(MAX_DIFF_SHARE);
  });
});

describe('locked loader', () => {
  const withUrl = (url: string): TopLevelSpec => ({
    data: { url },
    mark: 'bar',
    encoding: { x: { field: 'a', type: 'nominal' } },
  });

  it.each(['file:///etc/passwd', 'https://example.com/x.json', '/etc/passwd', 'data.csv'])(
    'refuses data from %s',
    async (url) => {
      await expect(renderChart(withUrl(url))).rejects.toThrow(/charts may not load files or URLs/);
      await expect(renderChart(withUrl(url))).rejects.toBeInstanceOf(ChartLoadError);
    },
  );

  it('refuses an image mark with a URL', async () => {
    const spec: TopLevelSpec = {
      width: 50,
      height: 50,
      data: { values: [{ u: 'file:///etc/passwd' }] },
      mark: 'image',
      encoding: { url: { field: 'u', type: 'nominal' }, x: { value: 10 }, y: { value: 10 } },
    };
    await expect(renderChart(spec)).rejects.toThrow(/charts may not load files or URLs/);
  });

  it('every loader entry point throws', async () => {
    await expect(lockedLoader.load('file:///etc/passwd')).rejects.toThrow(/charts may not load files or URLs/);
    await expect(
      lockedLoader.sanitize('https://example.com/x.json', { context: 'dataflow', response: 'json' }),
    ).rejects.toThrow(ChartLoadError);
    await expect(lockedLoader.http('https://example.com/x.json', {})).rejects.toThrow(ChartLoadError);
    await expect(lockedLoader.file('/etc/passwd')).rejects.toThrow(ChartLoadError);
  });
});

/** Renders one catalog chart in a process of its own (render-child.ts), which prints its FONTCONFIG_FILE. */
const renderInChild = (chart: string, out: string, env: NodeJS.ProcessEnv) =>
  spawnSync(
    process.execPath,
    [join('node_modules', 'tsx', 'dist', 'cli.mjs'), join(here, 'render-child.ts'), chart, out],
    { env, encoding: 'utf8', timeout: 60_000 },
  );

describe('bundled font', () => {
  it('renders the same picture in a process without system fonts or fontconfig settings', async () => {
    const empty = mkdtempSync(join(scratch, 'home-'));
    const out = join(scratch, 'child.png');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(FONTCONFIG_|XDG_|HOME$|TMPDIR$)/.test(k)) env[k] = v;
    Object.assign(env, {
      HOME: empty,
      XDG_CONFIG_HOME: empty,
      XDG_CACHE_HOME: empty,
      XDG_DATA_HOME: empty,
      XDG_DATA_DIRS: empty,
      XDG_CONFIG_DIRS: empty,
      TMPDIR: empty,
    });
    const child = renderInChild('top-models-by-cost', out, env);
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    // The child wrote its own fonts.conf (under the empty TMPDIR) and used only that.
    expect(child.stdout.trim().startsWith(empty)).toBe(true);
    const c = catalogCases().find((x) => x.name === 'top-models-by-cost')!;
    const d = await diffPngs(readFileSync(out), (await renderChart(c.spec)).png);
    expect(d.sameSize).toBe(true);
    expect(d.differing).toBe(0);
  });

  it('a process that rendered a chart leaves no pulsebot-fonts-* folder behind', () => {
    const tmp = mkdtempSync(join(scratch, 'tmp-'));
    const child = renderInChild('alert-sparkline', join(scratch, 'spark.png'), { ...process.env, TMPDIR: tmp });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    // The folder was made under this TMPDIR, and is gone once the process has exited (tsx keeps
    // its own cache there).
    expect(dirname(dirname(child.stdout.trim()))).toBe(tmp);
    expect(readdirSync(tmp).filter((name) => name.startsWith('pulsebot-fonts-'))).toEqual([]);
  });

  it('draws glyphs, not empty boxes: "AAAA" and "OOOO" render differently', async () => {
    const spec = (text: string): TopLevelSpec => ({
      config: { font: 'Inter' },
      width: 200,
      height: 60,
      data: { values: [{}] },
      mark: { type: 'text', fontSize: 30 },
      encoding: { text: { value: text } },
    });
    const d = await diffPngs((await renderChart(spec('AAAA'))).png, (await renderChart(spec('OOOO'))).png);
    expect(d.differing).toBeGreaterThan(100);
  });
});
