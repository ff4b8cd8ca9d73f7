import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartSvg, renderChart } from '../../src/charts/render.js';
import { BUILTIN_CHARTS } from '../../src/config/schema.js';
import type { EmailContent } from '../../src/messages/email-payload.js';
import type { Snapshot } from '../../src/metrics/snapshot.js';
import { planChart } from '../../src/report/digest-charts.js';
import type { DigestChart } from '../../src/report/digest-model.js';
import { buildEmailDigest } from '../../src/report/email-digest.js';
import { latency, series } from '../charts/fixtures.js';
import { digestModelFixture, loadSnapshotFixture } from '../fixtures/digest-model.js';

/**
 * The digest as a reader sees it: rendered by a real browser engine at desktop (600 px) and
 * phone (375 px) widths, with every built-in chart as the renderer draws it. The PNGs land in
 * test/output/ for a human to look at; the assertions catch a blank or collapsed page, and chart
 * text too small to read on a phone.
 */
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: the email screenshot test needs Debian's chromium in CI`);
}

/** What a browser shows for an email: cid: references swapped for the attachments' bytes. */
function inlineImages(digest: EmailContent): string {
  return digest.html.replace(/cid:([^"'\s)]+)/g, (whole, cid: string) => {
    const a = digest.attachments.find((x) => x.cid === cid);
    return a ? `data:${a.contentType};base64,${a.content.toString('base64')}` : whole;
  });
}

/** A PNG's width in pixels, from its IHDR chunk. */
const pngWidth = (png: Buffer) => png.readUInt32BE(16);

/**
 * The size of each piece of text of a chart in the PNG's pixels: every non-empty <text> of the
 * SVG the PNG is rasterised from, its font-size scaled by the SVG's width over its viewBox.
 */
function textSizes(svg: string): { svgWidth: number; sizes: Array<{ text: string; px: number }> } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const svgWidth = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const viewBoxWidth = Number(/\sviewBox="[\d.-]+ [\d.-]+ ([\d.]+) [\d.]+"/.exec(root)?.[1]);
  const sizes: Array<{ text: string; px: number }> = [];
  for (const [, attrs, inner] of svg.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)) {
    const text = inner!.replace(/<[^>]*>/g, '').trim();
    if (!text) continue;
    const size = /font-size="([\d.]+)px"/.exec(attrs!)?.[1];
    if (size === undefined) throw new Error(`text without a font-size: ${text}`);
    sizes.push({ text, px: (Number(size) * svgWidth) / viewBoxWidth });
  }
  return { svgWidth, sizes };
}

async function pixelStats(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let nonWhite = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (r < 245 || g < 245 || b < 245) nonWhite++;
    colours.add((r << 16) | (g << 8) | b);
  }
  return {
    width: info.width,
    height: info.height,
    nonWhiteShare: nonWhite / (info.width * info.height),
    colours: colours.size,
  };
}

describe.skipIf(!available)(`email digest in chromium${available ? '' : ` (skipped: ${CHROMIUM} not found)`}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    mkdirSync(OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Every built-in chart, planned and rendered from the snapshot and 30 days ending on its day. */
  const renderCharts = async (snapshot: Snapshot) => {
    const lastDay = new Date(Date.parse(snapshot.period.end) - 1).toISOString().slice(0, 10);
    const data = { snapshot, series: series(lastDay), latency: latency(lastDay) };
    return Promise.all(
      BUILTIN_CHARTS.map(async (id) => {
        const plan = planChart(id, data);
        const { png, width, height } = await renderChart(plan.spec);
        const chart: DigestChart = { id, title: plan.title, alt: plan.alt, png, width, height };
        return { chart, spec: plan.spec };
      }),
    );
  };
  const charts = async (snapshot: Snapshot) => (await renderCharts(snapshot)).map((c) => c.chart);

  const cases = [
    { name: 'daily', model: async () => digestModelFixture({ charts: await charts(loadSnapshotFixture('daily')) }) },
    {
      name: 'weekly',
      model: async () =>
        digestModelFixture({
          snapshot: loadSnapshotFixture('weekly'),
          charts: await charts(loadSnapshotFixture('weekly')),
          sections: ['kpis', 'health', 'movers', 'models', 'users', 'finance', 'data_quality'],
          late: true,
        }),
    },
  ];

  for (const c of cases) {
    for (const width of [600, 375]) {
      it(`${c.name} at ${width} px is drawn, not blank, and of a plausible height`, async () => {
        const digest = await buildEmailDigest(await c.model(), {
          reportTitle: c.name === 'daily' ? 'Daily AI usage digest' : 'Weekly AI usage report',
        });
        const page = await browser.newPage({ viewport: { width, height: 800 } });
        try {
          // Nothing may be fetched: the email must be self-contained (no web fonts, no remote images).
          const requests: string[] = [];
          page.on('request', (r) => {
            if (!r.url().startsWith('data:')) requests.push(r.url());
          });
          await page.setContent(inlineImages(digest), { waitUntil: 'load' });
          // A string: the project's lib has no DOM types.
          const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
          const png = await page.screenshot({ fullPage: true, type: 'png' });
          writeFileSync(`${OUTPUT}email-${c.name}-${width}.png`, png);
          const stats = await pixelStats(png);

          expect(requests).toEqual([]);
          // No horizontal scrolling on a phone: the layout fits the viewport.
          expect(scrollWidth).toBeLessThanOrEqual(width);
          expect(stats.width).toBe(width);
          // Eight sections, seven charts and a footer: several screens, not a collapsed strip or a runaway page.
          expect(stats.height).toBeGreaterThan(1500);
          expect(stats.height).toBeLessThan(16_000);
          // Charts are mostly white paper: a drawn page still inks a tenth of its pixels.
          expect(stats.nonWhiteShare).toBeGreaterThan(0.1);
          expect(stats.colours).toBeGreaterThan(20);
        } finally {
          await page.close();
        }
      });
    }
  }

  it('chart text stays at least 10 CSS px at 375 px: font size × displayed width ÷ drawn width', async () => {
    const rendered = await renderCharts(loadSnapshotFixture('daily'));
    const digest = await buildEmailDigest(await digestModelFixture({ charts: rendered.map((r) => r.chart) }), {
      reportTitle: 'Daily AI usage digest',
    });
    const smallest: Record<number, Record<string, { text: string; cssPx: number }>> = {};
    for (const width of [375, 600]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      try {
        await page.setContent(inlineImages(digest), { waitUntil: 'load' });
        const shown = JSON.parse(
          String(
            await page.evaluate(
              'JSON.stringify([...document.images].map((i) => ({ tail: i.src.slice(-120), width: i.getBoundingClientRect().width })))',
            ),
          ),
        ) as Array<{ tail: string; width: number }>;
        smallest[width] = {};
        for (const { chart, spec } of rendered) {
          // The email may leave a chart out (the top models chart beside its own table).
          const img = shown.find((x) => chart.png.toString('base64').endsWith(x.tail));
          if (!img) continue;
          const { svgWidth, sizes } = textSizes(await chartSvg(spec, 2));
          // The SVG is what the PNG was rasterised from: the same width.
          expect(svgWidth).toBe(pngWidth(chart.png));
          const least = sizes.reduce((a, b) => (b.px < a.px ? b : a));
          smallest[width]![chart.id] = {
            text: least.text,
            cssPx: Math.round(((least.px * img.width) / pngWidth(chart.png)) * 100) / 100,
          };
        }
      } finally {
        await page.close();
      }
    }
    writeFileSync(`${OUTPUT}chart-text-sizes.json`, `${JSON.stringify(smallest, null, 2)}\n`);
    // Most of the built-in charts are in the email, and were measured.
    expect(Object.keys(smallest[375]!).length).toBeGreaterThanOrEqual(4);
    for (const [width, byChart] of Object.entries(smallest))
      for (const [id, s] of Object.entries(byChart))
        expect(s.cssPx, `${id} at ${width} px: "${s.text}"`).toBeGreaterThanOrEqual(10);
  });
});
