import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailContent } from '../../src/messages/email-payload.js';
import { buildEmailDigest } from '../../src/report/email-digest.js';
import { digestModelFixture, loadSnapshotFixture, solidPng } from '../fixtures/digest-model.js';

/**
 * The digest as a reader sees it: rendered by a real browser engine at desktop (600 px) and
 * phone (375 px) widths. The PNGs land in test/output/ for a human to look at; the assertions
 * catch a blank or collapsed page.
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

  // Chart-sized images (2× of a 552 px column), as the real renderer produces them.
  const charts = async () => [
    {
      id: 'daily_cost_by_provider',
      title: 'Daily cost by provider',
      alt: 'Daily cost fell to $67.90, led by luma.',
      png: await solidPng(1104, 440, [0, 114, 178]),
      width: 1104,
      height: 440,
    },
    {
      id: 'top_models_by_cost',
      title: 'Top models by cost',
      alt: 'luma/ray-2 cost the most.',
      png: await solidPng(1104, 440, [230, 159, 0]),
      width: 1104,
      height: 440,
    },
  ];

  const cases = [
    { name: 'daily', model: async () => digestModelFixture({ charts: await charts() }) },
    {
      name: 'weekly',
      model: async () =>
        digestModelFixture({
          snapshot: loadSnapshotFixture('weekly'),
          charts: await charts(),
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
          // Eight sections, two charts and a footer: several screens, not a collapsed strip or a runaway page.
          expect(stats.height).toBeGreaterThan(1500);
          expect(stats.height).toBeLessThan(12_000);
          expect(stats.nonWhiteShare).toBeGreaterThan(0.15);
          expect(stats.colours).toBeGreaterThan(20);
        } finally {
          await page.close();
        }
      });
    }
  }
});
