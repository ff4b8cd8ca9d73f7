import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewPage, type PreviewFiles } from '../../src/report/preview-page.js';
import { digestModelFixture } from '../fixtures/digest-model.js';

/** The entities an HTML attribute or text needs, written out here rather than taken from the code under test. */
const html = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'Daily AI usage digest · Sun 6 Dec 2026' } },
  { type: 'section', text: { type: 'mrkdwn', text: '*Key numbers* & <more>' } },
];

function files(overrides: Partial<PreviewFiles> = {}): PreviewFiles {
  return {
    title: 'Daily AI usage digest',
    email: {
      file: 'email.html',
      html: '<!doctype html><html><body style="margin:0"><p>Key figures &amp; more</p></body></html>',
      subject: 'Daily AI usage digest · Sun 6 Dec',
      textFile: 'email.txt',
    },
    slack: [
      {
        channel: '#ai-usage',
        blocks: BLOCKS,
        text: 'Daily AI usage digest',
        json: 'slack-ai-usage.json',
        thread: null,
      },
    ],
    charts: [
      {
        file: 'charts/daily_cost_by_provider.png',
        title: 'Cost per day by provider',
        alt: 'Cost per day by provider over 30 days: $2,049.56 in total, most of it luma ($642.47).',
      },
    ],
    snapshotJson: 'snapshot.json',
    ...overrides,
  };
}

describe('the digest preview page', () => {
  it('puts the email in a frame without a fixed height, its HTML in srcdoc', async () => {
    const page = previewPage(await digestModelFixture(), files());
    expect(page).not.toMatch(/1800px/);
    expect(page).not.toMatch(/iframe[^{]*\{[^}]*height:\s*\d+px/);
    const frame = page.match(/<iframe class="email"[^>]*>/)?.[0] ?? '';
    expect(frame).toContain(`srcdoc="${html(files().email!.html)}"`);
    expect(frame).not.toMatch(/\ssrc=/);
    // The page sizes it: a script reads the frame document's height.
    expect(page).toMatch(/<script>[\s\S]*scrollHeight[\s\S]*<\/script>/);
  });

  it('shows the Block Kit JSON, pretty-printed, in a disclosure', async () => {
    const page = previewPage(await digestModelFixture(), files());
    const details = page.match(/<details><summary>Block Kit JSON<\/summary>[\s\S]*?<\/details>/)?.[0] ?? '';
    expect(details).toContain(`<pre>${html(JSON.stringify({ blocks: BLOCKS }, null, 2))}</pre>`);
    expect(details).toContain('href="slack-ai-usage.json"');
  });

  it('says each chart once: the caption does not repeat the title the chart draws', async () => {
    const page = previewPage(await digestModelFixture(), files());
    const captions = [...page.matchAll(/<figcaption>(.*?)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toEqual([html('$2,049.56 in total, most of it luma ($642.47).')]);
  });

  it('without email recipients, says so instead of a frame', async () => {
    const page = previewPage(await digestModelFixture(), files({ email: null }));
    expect(page).not.toContain('<iframe');
    expect(page).toContain('No email recipients are configured');
  });
});

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

describe.skipIf(!available)(
  `the preview page in chromium${available ? '' : ` (skipped: ${CHROMIUM} not found)`}`,
  () => {
    let browser: Browser;
    let dir: string;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      dir = mkdtempSync(join(tmpdir(), 'pulsebot-preview-page-'));
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('opened from disk, the email frame is as tall as the email: 2,600 px, no inner scrolling', async () => {
      const email =
        '<!doctype html><html><body style="margin:0"><div style="height:2600px">tall email</div></body></html>';
      const path = join(dir, 'index.html');
      writeFileSync(
        path,
        previewPage(await digestModelFixture(), files({ email: { ...files().email!, html: email } })),
      );
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
        // A string: the project's lib has no DOM types.
        await page.waitForFunction("document.querySelector('iframe.email').clientHeight === 2600", undefined, {
          timeout: 10_000,
        });
        const inner = Number(
          await page.evaluate("document.querySelector('iframe.email').contentDocument.documentElement.scrollHeight"),
        );
        expect(inner).toBe(2600);
      } finally {
        await page.close();
      }
    });
  },
);
