import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from '../../src/metrics/health.js';
import { resolvePeriods } from '../../src/metrics/period.js';
import { buildSnapshot, type PeriodData, type Snapshot } from '../../src/metrics/snapshot.js';
import { buildAlertEmail } from '../../src/alerts/render-email.js';
import { emailFor, emailMessageId } from '../../src/messages/email-payload.js';
import { markup } from '../../src/messages/markup.js';
import { renderMjml, TEMPLATES_DIR } from '../../src/messages/mjml-render.js';
import { buildEmailDigest } from '../../src/report/email-digest.js';
import { digestModelFixture, loadSnapshotFixture, solidPng } from '../fixtures/digest-model.js';
import { NO_ROW_FLAWS } from '../../src/metrics/data-quality.js';

/**
 * Expected figures are worked out by hand from test/fixtures/snapshot-daily.json and
 * snapshot-weekly.json (the numbers in the comments), never copied from the builder's output.
 */
const WEEKLY_SECTIONS = ['kpis', 'health', 'movers', 'models', 'users', 'finance', 'data_quality'] as const;
/** The text part with its line wrapping undone, for phrases that may wrap. */
const flat = (text: string) => text.replace(/\s+/g, ' ');
const cidsOf = (html: string) => [...html.matchAll(/cid:([^"'\s>]+)/g)].map((m) => m[1]!);
/** HTML without tags and with entities decoded: what a reader sees. */
const visible = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<\/?(span|wbr|b|strong|a)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('buildEmailDigest: the daily fixture', async () => {
  const model = await digestModelFixture();
  const digest = await buildEmailDigest(model, { reportTitle: 'Daily AI usage digest' });
  const seen = visible(digest.html);

  it('puts the verdict and the key numbers in the subject, within 60 characters', () => {
    // 2026-11-24 is a Tuesday; the fixture's verdict is "All normal"; cost 67.901877 → $67.90;
    // 2191 / 2240 = 0.978125 → 97.8%.
    expect(digest.subject).toBe('✅ All normal · $67.90 · 97.8% ok · Tue 24 Nov');
    expect([...digest.subject].length).toBeLessThanOrEqual(60);
  });

  it('opens with the verdict, before any section or chart', () => {
    for (const text of [seen, flat(digest.text)]) {
      expect(text).toContain('✅ All normal · health 95/100');
      expect(text.indexOf('✅ All normal')).toBeLessThan(text.indexOf('Requests'));
    }
    expect(digest.html.indexOf('All normal')).toBeLessThan(digest.html.indexOf('cid:'));
  });

  it('shows the key figures with their change, and p95 per service type, in HTML and text', () => {
    // The fixture has no usual-Tuesday figures, so changes are vs Mon 23 Nov: cost −18.6%;
    // requests (2240 − 2233) / 2233 = +0.31% → ▲ 0.3%; success (0.978125 − 0.980743) × 100 = −0.26 pp → ▼ 0.3 pp.
    // p95 per service from the fixture: content 9226 ms → 9.2 s, images 26736 ms → 26.7 s, video 145047 ms → 2.4 min.
    for (const text of [seen, flat(digest.text)]) {
      expect(text).toContain('$67.90');
      // A row per figure: label, value, change.
      expect(text).toMatch(/Cost\s+\$67\.90\s+▼ 18\.6%/);
      expect(text).toMatch(/Requests\s+2,240\s+▲ 0\.3%/);
      expect(text).toMatch(/Success\s+97\.8%\s+▼ 0\.3 pp/);
      expect(text).toContain('Changes vs Mon 23 Nov');
      // Without a usual value to compare with, a p95 has no change: "–".
      expect(text).toMatch(/p95 content\s+9\.2 s\s+–/);
      expect(text).toMatch(/p95 images\s+26\.7 s\s+–/);
      expect(text).toMatch(/p95 video\s+2\.4 min\s+–/);
      // No blended p95 over text, images and video.
      expect(text).not.toContain('p95 latency');
    }
  });

  it('colours a change only when it is noteworthy: neutral on an ordinary day, red or green when the verdict says so', async () => {
    expect(digest.html).not.toMatch(/color:#1a7f37;[^"]*">▼ 18\.6%/);
    expect(digest.html).not.toMatch(/color:#c62828;[^"]*">▼ 0\.3 pp/);
    const fixture = loadSnapshotFixture('daily');
    fixture.verdict.tones = { ...fixture.verdict.tones, costUsd: 'good', successRate: 'bad' };
    const marked = await buildEmailDigest(await digestModelFixture({ snapshot: fixture }), { reportTitle: 'Daily' });
    expect(marked.html).toMatch(/color:#1a7f37;[^"]*">▼ 18\.6%/);
    expect(marked.html).toMatch(/color:#c62828;[^"]*">▼ 0\.3 pp/);
  });

  it('shows health, what moved, operations, models, users, finance and data quality', () => {
    for (const text of [seen, flat(digest.text)]) {
      expect(text).toContain('95/100');
      // success component: 34.722 of 40 points.
      expect(text).toContain('34.7 of 40');
      // cost change 67.901877 − 83.465176 = −15.563299; luma/ray-2 −11.34, 0.7286 of it.
      expect(text).toContain('−$15.56');
      expect(text).toContain('luma/ray-2 −$11.34 (73% of the change)');
      // server_error −0.27 pp, shown with one decimal, as what it did to the rate.
      expect(text).toContain('server_error took 0.3 pp');
      expect(text).toContain('No anomalies against the same weekday of the last 4 weeks');
      // runway · video: $16.75 at 100.0%; top error server_error 16 of 49 failures = 33%.
      expect(text).toContain('runway · video');
      expect(text).toContain('$16.75');
      expect(text).toContain('server_error 16 (33%)');
      // luma/ray-2: $7.80 over 18 requests = $0.4333 per request → $0.43; 12 other models, 1,950 requests.
      expect(text).toContain('$0.43');
      expect(text).not.toContain('$0.4333');
      expect(text).toContain('12 other models');
      expect(text).toContain('228 active users');
      // MRR 7067; margin 167.66 / 235.57 = 71.2%.
      expect(text).toContain('$7,067.00');
      expect(text).toContain('$167.66 (71.2%)');
      expect(text).toContain('No data-quality problems found.');
    }
  });

  it('has a footer with data as of, generated at, period and time zone, and the dashboard link', () => {
    for (const text of [seen, flat(digest.text)]) {
      expect(text).toContain('Data as of 25 Nov 2026, 00:49 UTC');
      expect(text).toContain('Generated 25 Nov 2026, 00:50 UTC');
      expect(text).toContain('Period 2026-11-24: 24 Nov 2026, 00:00 UTC to 25 Nov 2026, 00:00 UTC (time zone UTC)');
      expect(text).not.toContain('Sent late');
    }
    expect(digest.html).toContain('href="https://dashboard.example.com/ai"');
    expect(seen).toContain('Open the dashboard');
    expect(digest.text).toContain('Open the dashboard:\n  https://dashboard.example.com/ai');
  });

  it('refers to every chart by cid, each with exactly one PNG attachment holding its bytes', () => {
    const cids = cidsOf(digest.html);
    // The top-models chart would repeat the models table: the email shows the table alone.
    expect(cids.sort()).toEqual(['daily_cost_by_provider@pulsebot']);
    for (const cid of cids) {
      const matching = digest.attachments.filter((a) => a.cid === cid);
      expect(matching).toHaveLength(1);
      expect(matching[0]!.contentType).toBe('image/png');
      expect(matching[0]!.filename).toBe(cid.replace('@pulsebot', '.png'));
    }
    expect(digest.attachments.map((a) => a.content)).toEqual([model.charts[0]!.png]);
    // Alt text for clients that block images; the text part names the chart.
    expect(digest.html).toContain('alt="Chart 1: daily cost by provider"');
    expect(digest.text).toContain('[Chart: Daily cost by provider. Chart 1: daily cost by provider]');
  });

  it('is self-contained and fits a terminal: no web fonts, text lines of at most 80 columns', () => {
    expect(digest.html).not.toMatch(/fonts\.googleapis|<link[^>]+stylesheet/);
    expect(digest.html).not.toContain('{{');
    // Outlook renders with Word: tables and fixed widths, no flex or grid layout.
    expect(digest.html).not.toMatch(/display:\s*(flex|grid)/);
    expect(digest.html).toContain('width:600px');
    const long = digest.text.split('\n').filter((l) => [...l].length > 80);
    expect(long).toEqual([]);
  });
});

describe('buildEmailDigest: layout choices', () => {
  it('follows model.sections: order kept, sections not listed left out', async () => {
    const model = await digestModelFixture({ sections: ['finance', 'kpis', 'data_quality'], charts: [] });
    const { html, text } = await buildEmailDigest(model, { reportTitle: 'AI usage' });
    const at = (key: string) => html.indexOf(`pb-section-${key}`);
    expect(at('finance')).toBeGreaterThan(-1);
    expect(at('finance')).toBeLessThan(at('kpis'));
    expect(at('kpis')).toBeLessThan(at('data_quality'));
    for (const absent of ['health', 'movers', 'operations', 'models', 'users']) expect(at(absent)).toBe(-1);
    expect(text.indexOf('FINANCE')).toBeLessThan(text.indexOf('KEY FIGURES'));
    expect(text.indexOf('KEY FIGURES')).toBeLessThan(text.indexOf('DATA QUALITY'));
    expect(text).not.toContain('OPERATIONS');
  });

  it('uses the weekly template for a week, with the users and finance sections', async () => {
    const model = await digestModelFixture({ snapshot: loadSnapshotFixture('weekly'), sections: [...WEEKLY_SECTIONS] });
    const digest = await buildEmailDigest(model, { reportTitle: 'Weekly AI usage report' });
    const seen = visible(digest.html);
    // 472.868687 → $472.87; (472.868687 − 499.205802) / 499.205802 = −5.28% → ▼ 5.3%; health 96.
    // 472.868687 → $472.87; 98.2% success; the fixture's verdict is "All normal".
    expect(digest.subject).toBe('✅ All normal · $472.87 · 98.2% ok · week 47');
    expect(digest.html).toContain('pb-summary');
    expect(seen).toContain('Weekly report');
    for (const text of [seen, flat(digest.text)]) {
      expect(text).toContain('In week 47, 16–22 November 2026, AI usage cost $472.87, 5.3% less than week 46');
      // users: 269 active, 9 new, 260 returning; finance: 7067 × 7 / 30 = 1648.97 revenue for the week.
      expect(text).toContain('269 active users: 9 new, 260 returning.');
      expect(text).toContain('$1,648.97');
      expect(text).toContain('Month to date (November 2026, 22 days)');
      // A week has no same-weekday comparison column.
      expect(text).not.toContain('vs Tue');
    }
    const daily = await buildEmailDigest(await digestModelFixture(), { reportTitle: 'Daily' });
    expect(daily.html).not.toContain('pb-summary');
  });

  it('says when it was sent late, and names the charts that failed', async () => {
    const model = await digestModelFixture({
      late: true,
      failedCharts: [{ id: 'spend_by_team', error: 'statement timeout after 10 s' }],
      dashboardUrl: null,
    });
    const digest = await buildEmailDigest(model, { reportTitle: 'Daily AI usage digest' });
    expect(digest.subject.startsWith('[late] ')).toBe(true);
    for (const text of [visible(digest.html), flat(digest.text)]) {
      expect(text).toContain('Sent late');
      expect(text).toContain('Chart "spend_by_team" could not be drawn: statement timeout after 10 s');
      expect(text).not.toContain('Open the dashboard');
    }
  });

  it('lists only the data-quality problems that occurred', async () => {
    const snapshot = loadSnapshotFixture('daily');
    Object.assign(snapshot.dataQuality, {
      negativeCostRows: 3,
      unknownProviderRows: 12,
      nonFiniteCostRows: 1,
      nullSuccessRows: 2,
      outlierLatencyRows: 1,
    });
    const { text, html } = await buildEmailDigest(await digestModelFixture({ snapshot }), { reportTitle: 'AI usage' });
    for (const part of [flat(text), visible(html)]) {
      expect(part).toContain('1 row with a NaN or infinite cost (counted as $0)');
      expect(part).toContain('3 rows with a negative cost');
      expect(part).toContain('2 rows without an outcome (left out of the success rate)');
      expect(part).toContain('12 rows without a provider (counted as "unknown")');
      expect(part).toContain('1 row with a latency over 24 h (left out of latency figures)');
      expect(part).not.toContain('dated in the future');
      expect(part).not.toContain('No data-quality problems found.');
    }
  });

  it('gives charts with the same id distinct cids, one attachment each', async () => {
    const model = await digestModelFixture();
    model.charts = [model.charts[0]!, { ...model.charts[0]!, png: model.charts[1]!.png }];
    const { html, attachments } = await buildEmailDigest(model, { reportTitle: 'AI usage' });
    const cids = cidsOf(html);
    expect(new Set(cids).size).toBe(2);
    expect(attachments.map((a) => a.cid).sort()).toEqual([...cids].sort());
  });
});

describe('buildEmailDigest: data is escaped', () => {
  it('never puts names from the data raw into the HTML; the text part has them literally', async () => {
    const snapshot: Snapshot = loadSnapshotFixture('daily');
    snapshot.models.top[0]!.model = '<script>alert(1)</script>';
    snapshot.models.top[1]!.model = 'a&b';
    snapshot.users.byPlan[0]!.plan = '<img src=x onerror=alert(2)>';
    snapshot.topErrors[0]!.errorCode = '"quoted" & \'single\'';
    const model = await digestModelFixture({ snapshot });
    model.charts[0]!.alt = 'Cost "fell" <b>sharply</b>';
    const { html, text } = await buildEmailDigest(model, { reportTitle: 'AI <i>usage</i>' });

    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('a&b');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<i>usage</i>');
    expect(html).not.toContain('<b>sharply</b>');
    // Table cells get <wbr /> break opportunities after "/": drop them to read the escaped name.
    const unbroken = html.replace(/<wbr \/>/g, '');
    expect(unbroken).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(unbroken).toContain('a&amp;b');
    expect(html).toContain('&quot;quoted&quot; &amp; &#39;single&#39;');
    expect(html).toContain('alt="Cost &quot;fell&quot; &lt;b&gt;sharply&lt;/b&gt;"');

    expect(text).toContain('luma/<script>alert(1)</script>');
    expect(text).toContain('openai/a&b');
    expect(text).toContain('<img src=x onerror=alert(2)>');
    expect(text).toContain('"quoted" & \'single\'');
  });
});

describe('buildEmailDigest: a day without traffic', () => {
  const empty = (): PeriodData => ({
    byModel: [],
    histograms: new Map(),
    errors: [],
    users: { total: 0, byModel: new Map() },
  });
  const now = new Date('2026-11-25T09:00:00Z');
  const snapshot = (previous: PeriodData) =>
    buildSnapshot({
      report: { name: 'daily', topModels: 8 },
      periods: resolvePeriods({ kind: 'day', timeZone: 'UTC', now }),
      current: empty(),
      previous,
      sameWeekdayLastWeek: empty(),
      baseline: [empty(), empty()],
      freshness: { newestRowAt: null, lastRefreshAt: null, futureRows: 0 },
      limits: { maxDataAgeMinutes: 30, maxRefreshAgeMinutes: 15 },
      health: DEFAULT_HEALTH,
      monthlyBudgetUsd: null,
      business: { users: [], mrr: { mrrUsd: 0, subscriptions: 0 }, dailyCosts: new Map() },
      now,
    });
  const busy: PeriodData = {
    ...empty(),
    byModel: [
      {
        provider: 'openai',
        serviceType: 'content',
        model: 'gpt-4o',
        requests: 10,
        successes: 9,
        costUsd: 1.5,
        inputTokens: 100,
        outputTokens: 50,
        images: 0,
        videoSeconds: 0,
        latencySum: 5000,
        latencyCount: 10,
        ...NO_ROW_FLAWS,
      },
    ],
    users: { total: 3, byModel: new Map() },
  };

  for (const [name, previous] of [
    ['after another empty day', empty()],
    ['after a busy day', busy],
  ] as const) {
    it(`prints no NaN, undefined or Infinity (${name})`, async () => {
      const model = await digestModelFixture({ snapshot: snapshot(previous), charts: [], dataAsOf: null });
      const digest = await buildEmailDigest(model, { reportTitle: 'AI usage' });
      for (const out of [digest.subject, digest.html, digest.text]) {
        expect(out).not.toMatch(/NaN|undefined|Infinity|null/);
      }
      // No row has ever arrived (newestRowAt null): that is what needs attention.
      expect(digest.subject).toBe('🔴 no usage data · no traffic · Tue 24 Nov');
      expect(digest.text).toContain('No usage data has arrived yet.');
      expect(digest.text).toContain('No traffic in this period.');
    });
  }
});

describe('emailMessageId and emailFor', () => {
  it('is deterministic per report × period × recipient, ignoring the case of the address', () => {
    const id = emailMessageId({ report: 'daily', period: '2026-11-24', recipient: 'Team@Example.com' });
    expect(id).toMatch(/^<[0-9a-f]{64}@pulsebot>$/);
    expect(emailMessageId({ report: 'daily', period: '2026-11-24', recipient: 'team@example.com' })).toBe(id);
    expect(emailMessageId({ report: 'daily', period: '2026-11-25', recipient: 'team@example.com' })).not.toBe(id);
    expect(emailMessageId({ report: 'weekly', period: '2026-11-24', recipient: 'team@example.com' })).not.toBe(id);
    expect(emailMessageId({ report: 'daily', period: '2026-11-24', recipient: 'other@example.com' })).not.toBe(id);
  });

  it('addresses one recipient with the shared HTML, text and attachments', async () => {
    const digest = await buildEmailDigest(await digestModelFixture(), { reportTitle: 'AI usage' });
    const payload = emailFor(digest, {
      from: 'pulsebot <bot@example.com>',
      to: 'a@example.com',
      replyTo: 'team@example.com',
      messageId: '<x@pulsebot>',
    });
    expect(payload).toMatchObject({
      from: 'pulsebot <bot@example.com>',
      to: 'a@example.com',
      replyTo: 'team@example.com',
      messageId: '<x@pulsebot>',
      subject: digest.subject,
    });
    expect(payload.html).toBe(digest.html);
    expect(payload.attachments).toBe(digest.attachments);
    expect(payload.headers?.['Auto-Submitted']).toBe('auto-generated');
    expect('replyTo' in emailFor(digest, { from: 'a@b.c', to: 'd@e.f', messageId: '<y@pulsebot>' })).toBe(false);
  });
});

describe('renderMjml is strict', () => {
  const path = `${TEMPLATES_DIR}digest.mjml`;
  it('rejects invalid MJML (validationLevel strict)', async () => {
    await expect(
      renderMjml('<mjml><mj-body><mj-section><mj-text>x</mj-text></mj-section></mj-body></mjml>', path, {}),
    ).rejects.toMatchObject({
      code: 'RENDER_FAILED',
      message: expect.stringContaining('mj-text cannot be used inside mj-section'),
    });
  });
  it('rejects an include that cannot be read, a placeholder without a value and an unused value', async () => {
    await expect(
      renderMjml('<mjml><mj-body><mj-include path="./partials/missing.mjml" /></mj-body></mjml>', path, {}),
    ).rejects.toMatchObject({ code: 'RENDER_FAILED', message: expect.stringContaining('mj-include refused') });
    await expect(
      renderMjml(
        '<mjml><mj-body><mj-section><mj-column><mj-text>{{a}}</mj-text></mj-column></mj-section></mj-body></mjml>',
        path,
        {},
      ),
    ).rejects.toMatchObject({ code: 'RENDER_FAILED', message: expect.stringContaining('without a value: a') });
    await expect(renderMjml('<mjml><mj-body></mj-body></mjml>', path, { b: markup`x` })).rejects.toMatchObject({
      code: 'RENDER_FAILED',
      message: expect.stringContaining('no placeholder for: b'),
    });
  });
  it('fills placeholders once: a value that contains a placeholder stays text', async () => {
    const html = await renderMjml(
      '<mjml><mj-body><mj-section><mj-column><mj-text>{{a}}</mj-text></mj-column></mj-section></mj-body></mjml>',
      path,
      { a: markup`${'{{a}} & more'}` },
    );
    expect(html).toContain('{{a}} &amp; more');
  });
});

describe('buildAlertEmail', () => {
  it('says what fires, how bad and since when, escapes the data, and carries the sparkline inline', async () => {
    const png = await solidPng(400, 80);
    const alert = await buildAlertEmail({
      title: 'Success rate below 95% <openai>',
      severity: 'critical',
      state: 'firing',
      summary: 'Success rate 91.2% over the last 15 min (threshold 95%) & falling',
      details: [
        ['Provider', 'openai'],
        ['Failures', '88 of 1,000'],
      ],
      sparkline: { png, alt: 'Success rate fell from 99% to 91% in 15 minutes.' },
      runbookUrl: 'https://runbooks.example.com/success-rate?x=1&y=2',
      dashboardUrl: null,
      since: '2026-11-24T13:05:00.000Z',
    });
    expect(alert.subject).toBe('[CRITICAL] Success rate below 95% <openai>');
    expect(alert.html).not.toContain('<openai>');
    expect(alert.html).toContain('Success rate below 95% &lt;openai&gt;');
    expect(alert.html).toContain('threshold 95%) &amp; falling');
    expect(alert.html).toContain('href="https://runbooks.example.com/success-rate?x=1&amp;y=2"');
    expect(alert.html).not.toContain('Open the dashboard');
    // 400 px wide at 2× → shown 200 px wide.
    expect(alert.html).toMatch(/<img[^>]+src="cid:sparkline@pulsebot"[^>]+width="200"/);
    expect(alert.attachments).toEqual([
      { filename: 'sparkline.png', cid: 'sparkline@pulsebot', contentType: 'image/png', content: png },
    ]);
    for (const text of [visible(alert.html), flat(alert.text)]) {
      expect(text).toContain('Firing since 24 Nov 2026, 13:05 UTC');
      expect(text).toContain('88 of 1,000');
    }
    expect(alert.text).toContain('https://runbooks.example.com/success-rate?x=1&y=2');

    const resolved = await buildAlertEmail({
      title: 'Cost spike',
      severity: 'warning',
      state: 'resolved',
      summary: 'Back to normal.',
      details: [],
      runbookUrl: null,
      dashboardUrl: null,
      since: '2026-11-24T13:05:00.000Z',
    });
    expect(resolved.subject).toBe('[RESOLVED] Cost spike');
    expect(resolved.attachments).toEqual([]);
    expect(cidsOf(resolved.html)).toEqual([]);
  });
});
