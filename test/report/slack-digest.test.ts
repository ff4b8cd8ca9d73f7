import { describe, expect, it } from 'vitest';
import type { DigestSection } from '../../src/config/schema.js';
import type { Snapshot } from '../../src/metrics/snapshot.js';
import type { DigestModel } from '../../src/report/digest-model.js';
import { escapeSlack, fitEscaped, slackLimitViolations, totalBlockText } from '../../src/messages/slack-limits.js';
import { buildSlackDetails, buildSlackDigest } from '../../src/report/slack-digest.js';
import { digestModelFixture, loadSnapshotFixture } from '../fixtures/digest-model.js';

type B = Record<string, any>;
const OPTS = { channel: '#ai-usage', reportTitle: 'Daily digest' };
const ALL: DigestSection[] = ['kpis', 'health', 'movers', 'operations', 'models', 'users', 'finance', 'data_quality'];

/** Each block's visible text: header/section text, then fields, then context/actions elements. */
function textsOf(block: B): string {
  const parts: string[] = [];
  if (block.text?.text) parts.push(block.text.text);
  for (const f of block.fields ?? []) parts.push(f.text);
  for (const e of block.elements ?? []) parts.push(e.text?.text ?? e.text);
  return parts.join('\n');
}
const allText = (blocks: unknown[]) => (blocks as B[]).map(textsOf).join('\n');
const blockStarting = (blocks: unknown[], start: string) =>
  (blocks as B[]).find((b) => b.text?.text?.startsWith(start));
const keyFigures = (blocks: unknown[]) => (blocks as B[]).find((b) => b.type === 'section' && b.fields)!;
const field = (blocks: unknown[], title: string): string =>
  (keyFigures(blocks).fields as B[]).find((f) => f.text.startsWith(`*${title}*`))!.text;

function strings(x: unknown, out: string[] = []): string[] {
  if (typeof x === 'string') out.push(x);
  else if (Array.isArray(x)) for (const v of x) strings(v, out);
  else if (x && typeof x === 'object' && !Buffer.isBuffer(x)) for (const v of Object.values(x)) strings(v, out);
  return out;
}

/** The message and its reply in the thread; `blocks` holds both, message first. */
async function build(overrides: Partial<DigestModel> = {}, edit?: (s: Snapshot) => void, title = OPTS.reportTitle) {
  const model = await digestModelFixture(overrides);
  edit?.(model.snapshot);
  const main = buildSlackDigest(model, { channel: OPTS.channel, reportTitle: title });
  const details = buildSlackDetails(model, { channel: OPTS.channel, reportTitle: title });
  return { ...main, main, details, blocks: [...main.blocks, ...(details?.blocks ?? [])] };
}

/** A day the verdict names something on: what moved is then in the message. */
const attention = (s: Snapshot) => {
  s.verdict.status = 'attention';
  s.verdict.headline = '1 thing needs attention';
  s.verdict.items = [
    { kind: 'cost', segment: null, text: 'cost $67.90 (+25.0% vs the usual Tuesday)', short: 'cost $67.90' },
  ];
};

describe('escapeSlack', () => {
  it('escapes &, < and > in that order, so entities made for < and > are not escaped twice', () => {
    expect(escapeSlack('a & <b> <!channel>')).toBe('a &amp; &lt;b&gt; &lt;!channel&gt;');
    // A literal "&lt;" in data must show as "&lt;", not as "<".
    expect(escapeSlack('&lt;')).toBe('&amp;lt;');
  });

  it('fits escaped text without cutting an entity', () => {
    // "&&&&&" escapes to 25 characters; two "&amp;" (10) plus "…" fit in 12, a third would not.
    expect(fitEscaped('&&&&&', 12)).toBe('&amp;&amp;…');
    expect(fitEscaped('abc', 3)).toBe('abc');
    expect(fitEscaped('abcd', 3)).toBe('ab…');
  });
});

describe('buildSlackDigest: the daily fixture', () => {
  it('heads the message with report and day, then the verdict, and sends it as the fallback line', async () => {
    const p = await build();
    expect(p.channel).toBe('#ai-usage');
    expect(p.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Daily digest · Tue 24 Nov 2026', emoji: true },
    });
    expect(textsOf(p.blocks[1] as B)).toBe('*✅ All normal · health 95/100*');
    expect(p.text).toBe('Daily digest Tue 24 Nov 2026: ✅ All normal · health 95/100');
  });

  it('names what needs attention, one line each, in the verdict', async () => {
    const p = await build({}, (s) => {
      attention(s);
      s.verdict.items.push({
        kind: 'success_rate',
        segment: 'anthropic',
        text: 'anthropic success 94.1% (−3.2 pp vs the usual Tuesday)',
        short: 'anthropic success 94.1%',
      });
      s.verdict.headline = '2 things need attention';
    });
    expect(textsOf(p.blocks[1] as B)).toBe(
      '*🔴 2 things need attention · health 95/100*\n• cost $67.90 (+25.0% vs the usual Tuesday)\n• anthropic success 94.1% (−3.2 pp vs the usual Tuesday)',
    );
  });

  it('shows the key figures with one cue per change, marked only when noteworthy, and p95 per service type', async () => {
    const p = await build();
    // The fixture has no usual-Tuesday figures: changes vs Mon 23 Nov. (67.901877 − 83.465176) / 83.465176 = −18.6%.
    expect(field(p.blocks, 'Cost')).toBe('*Cost*\n$67.90 · ▼ 18.6%');
    // (2240 − 2233) / 2233 = +0.31%.
    expect(field(p.blocks, 'Requests')).toBe('*Requests*\n2,240 · ▲ 0.3%');
    // (0.978125 − 0.980743) × 100 = −0.26 pp.
    expect(field(p.blocks, 'Success')).toBe('*Success*\n97.8% · ▼ 0.3 pp');
    expect(field(p.blocks, 'Active users')).toContain('228');
    // One p95 per service type (9226 ms, 26736 ms, 145047 ms), never one over the mix.
    expect(field(p.blocks, 'p95 content')).toBe('*p95 content*\n9.2 s');
    expect(field(p.blocks, 'p95 images')).toBe('*p95 images*\n26.7 s');
    expect(field(p.blocks, 'p95 video')).toBe('*p95 video*\n2.4 min');
    expect(allText(p.blocks)).not.toContain('p95 latency');
    expect(allText(p.main.blocks)).toContain('changes vs Mon 23 Nov');
    // An ordinary day: no 🔴 or 🟢 anywhere in the message.
    expect(allText(p.main.blocks)).not.toMatch(/🔴|🟢/);
    const marked = await build({}, (s) => {
      s.verdict.tones = { ...s.verdict.tones, costUsd: 'bad', successRate: 'good' };
    });
    expect(field(marked.blocks, 'Cost')).toBe('*Cost*\n🔴 $67.90 · ▼ 18.6%');
    expect(field(marked.blocks, 'Success')).toBe('*Success*\n🟢 97.8% · ▼ 0.3 pp');
  });

  it('stays short on an ordinary day: no "what moved", the details in the thread, under 2,500 characters', async () => {
    const p = await build();
    expect(allText(p.main.blocks)).not.toContain('*What moved*');
    expect(totalBlockText(p.main.blocks)).toBeLessThan(2500);
    expect(p.details).not.toBeNull();
    for (const start of ['*Health', '*Operations*', '*Top models by cost*', '*Users*'])
      expect(blockStarting(p.details!.blocks, start)).toBeDefined();
    expect(p.details!.files).toEqual([]);
  });

  it('explains the health score component by component', async () => {
    const text = blockStarting((await build()).blocks, '*Health')!.text.text as string;
    expect(text.split('\n')[0]).toBe('*Health 95/100*');
    // score 86.81 → 87; contribution 40 × 86.81 / 100 = 34.72 → 34.7 of 40.
    expect(text).toContain('• Success rate 87/100 → 34.7 of 40 pts · 97.8% vs SLO 99.0%');
    expect(text).toContain('• Cost 100/100 → 20.0 of 20 pts · $67.90 vs baseline $79.15 (86% of baseline)');
  });

  it('says "no data" for a component left out, with the others renormalised', async () => {
    const p = await build({}, (s) => {
      const cost = s.health.components.find((c) => c.key === 'cost')!;
      Object.assign(cost, { score: null, contribution: 0, note: 'not enough history' });
    });
    const text = blockStarting(p.blocks, '*Health')!.text.text as string;
    expect(text).toContain('• Cost: no data (not enough history)');
    // Weights left: 40 + 25 + 15 = 80, so success rate's share is 40 / 80 × 100 = 50 points.
    expect(text).toContain('of 50 pts');
  });

  it('attributes the cost change to models and providers, and success rate to error codes', async () => {
    const text = blockStarting((await build({}, attention)).main.blocks, '*What moved*')!.text.text as string;
    expect(text).toContain('*What moved* vs Mon 23 Nov');
    // total −15.563299 → −$15.56; luma/ray-2 −11.34 / −15.563299 = 72.9% of the change.
    expect(text).toContain('*Cost* −$15.56 (▼ 18.6%)');
    expect(text).toContain(
      '• by model: luma/ray-2 −$11.34 (73% of the change) · luma/ray-flash-2 −$3.94 (25%) · runway/gen-3-alpha-turbo −$3.25 (21%)',
    );
    // ideogram +3.59 while the total fell: it moved the other way.
    expect(text).toContain('ideogram +$3.59 (the other way)');
    // −0.27 → 0.3 pp off the rate, −0.18 → 0.2 pp, +0.13 → 0.1 pp back (one decimal).
    expect(text).toContain(
      '• by error code: server_error took 0.3 pp · rate_limited took 0.2 pp · invalid_request gave back 0.1 pp',
    );
    // server_error 16 of 49 failures = 32.7% → 33%.
    expect(text).toContain('server_error 16 (33% of failures)');
    expect(text).toContain('*Anomalies*: none against the last 4 Tuesdays');
  });

  it('words anomaly flags and leaves out a missing success-rate attribution', async () => {
    const p = await build({}, (s) => {
      attention(s);
      s.attribution.successRate = null;
      s.anomalies.flags = [
        { kpi: 'costUsd', value: 67.901877, mean: 50, stddev: 5.2, deviations: 3.44, direction: 'high' },
      ];
    });
    const text = blockStarting(p.blocks, '*What moved*')!.text.text as string;
    expect(text).toContain('⚠️ Cost 3.4σ above the last 4 Tuesdays ($67.90 vs a mean of $50.00)');
    expect(text).not.toContain('*Success rate*');
  });

  it('lists operations rows with their changes, capped with "… and N more"', async () => {
    let p = await build();
    const ops = blockStarting(p.blocks, '*Operations*')!.text.text as string;
    // runway/video: 41 requests, (41 − 55) / 55 = −25.5%; success 100% (+5.45 pp); $16.75, −16.25%.
    // The p95 column shares one unit, in which its smallest row (openai · content, 7.8 s) reads at least 1: s.
    expect(ops).toContain(
      '• *runway · video*: 41 requests (▼ 25.5%) · success 100.0% (▲ 5.5 pp) · p95 115.5 s (no change) · $16.75 (▼ 16.3%)',
    );
    expect(ops.split('\n')).toHaveLength(1 + 7);
    p = await build({}, (s) => {
      s.operations = Array.from({ length: 200 }, (_, i) => ({ ...s.operations[0]!, provider: `p${i}` }));
    });
    const many = allText(p.blocks);
    expect(many).toContain('• *p19 · video*');
    expect(many).not.toContain('• *p20 · video*');
    expect(many).toContain('… and 180 more rows (see the dashboard)'); // 200 − 20 shown
  });

  it('lists top models with cost per request and users, and the rest as "other"', async () => {
    const text = blockStarting((await build()).blocks, '*Top models by cost*')!.text.text as string;
    // 7.80 / 18 = 0.4333 per request → two significant digits, $0.43.
    expect(text).toContain('• *luma/ray-2* (video): $7.80 · 18 requests · $0.43/request · 16 users');
    // 21.995209 / 1950 = 0.01128 → $0.011.
    expect(text).toContain('• other 12 models: $22.00 · 1,950 requests · $0.011/request');
  });

  it('folds model rows beyond the cap into the remainder line', async () => {
    const p = await build({}, (s) => {
      const row = s.models.top[0]!;
      s.models.top = Array.from({ length: 17 }, (_, i) => ({
        ...row,
        model: `m${i}`,
        costUsd: 2,
        requests: 4,
        costPerRequest: 0.5,
      }));
      s.models.other = {
        ...row,
        provider: 'other',
        serviceType: 'other',
        model: 'other',
        models: 3,
        costUsd: 1.5,
        requests: 10,
        costPerRequest: 0.15,
      };
    });
    const text = blockStarting(p.blocks, '*Top models by cost*')!.text.text as string;
    expect(text).toContain('*luma/m14*');
    expect(text).not.toContain('*luma/m15*');
    // 2 hidden rows + 3 other = 5 models; 2 × $2 + $1.50 = $5.50; 2 × 4 + 10 = 18 requests; 5.5 / 18 = 0.3056 → $0.31.
    expect(text).toContain('… and 5 more models: $5.50 · 18 requests · $0.31/request (see the dashboard)');
  });

  it('shows users and finance', async () => {
    const text = allText((await build()).blocks);
    expect(text).toContain('*Users* 228 active · 2 new · 226 returning');
    expect(text).toContain('• pro: $26.30 · 40 users · 692 requests');
    // margin 167.66 / 235.57 = 71.2%.
    expect(text).toContain('This period: revenue $235.57 · cost $67.90 · gross margin $167.66 (71.2%)');
    expect(text).toContain('November to date (24 days): $1,672.41 · month-end forecast $2,098.90 (6 days left)');
  });

  it('says data quality is fine, or names each problem', async () => {
    expect(allText((await build()).blocks)).toContain('✓ *Data quality*: no issues');
    const p = await build({}, (s) => {
      Object.assign(s.dataQuality, {
        negativeCostRows: 3,
        futureRows: 1,
        nonFiniteLatencyRows: 2,
        unknownModelRows: 4,
        newestRowAgeMinutes: 95,
      });
      s.health.components.find((c) => c.key === 'freshness')!.score = 40;
    });
    const text = blockStarting(p.blocks, '*Data quality*')!.text.text as string;
    expect(text).toContain('⚠️ 3 rows with a negative cost');
    expect(text).toContain('⚠️ 1 row dated in the future');
    expect(text).toContain('⚠️ 2 rows with a NaN or infinite latency (left out of latency figures)');
    expect(text).toContain('⚠️ 4 rows without a model (counted as "unknown")');
    expect(text).toContain('⚠️ Stale data: newest row 95 min old');
    expect(text).not.toContain('without latency');
    expect(text).not.toContain('no issues');
  });

  it('ends with a dashboard button and a footer on data age, period and time zone', async () => {
    const p = await build();
    const blocks = p.main.blocks as B[];
    expect(blocks.at(-2)).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', text: { text: 'Open dashboard' }, url: 'https://dashboard.example.com/ai' }],
    });
    expect(blocks.at(-1)!.type).toBe('context');
    expect(textsOf(blocks.at(-1)!)).toBe(
      'Data as of 25 Nov 2026 00:49 · generated 25 Nov 2026 00:50 · period 24 Nov 2026 00:00 – 25 Nov 2026 00:00 · times in UTC\n' +
        '📊 2 charts in the thread: Daily cost by provider, Top models by cost',
    );
  });

  it('attaches the charts as files for the thread', async () => {
    const model = await digestModelFixture();
    const p = buildSlackDigest(model, OPTS);
    expect(p.files.map((f) => [f.filename, f.title, f.altText])).toEqual([
      ['daily_cost_by_provider.png', 'Daily cost by provider', 'Chart 1: daily cost by provider'],
      ['top_models_by_cost.png', 'Top models by cost', 'Chart 2: top models by cost'],
    ]);
    expect(p.files[0]!.content).toBe(model.charts[0]!.png);
  });

  it('is within Slack limits, the message and its reply', async () => {
    const p = await build();
    expect(slackLimitViolations(p.main.blocks, p.text)).toEqual([]);
    expect(slackLimitViolations(p.details!.blocks, p.details!.text)).toEqual([]);
  });
});

describe('buildSlackDigest: variants', () => {
  it('omits the actions block and dashboard pointers without a dashboard url', async () => {
    const p = await build({ dashboardUrl: null }, (s) => {
      s.operations = Array.from({ length: 28 }, (_, i) => ({ ...s.operations[0]!, provider: `p${i}` }));
    });
    expect((p.blocks as B[]).some((b) => b.type === 'actions')).toBe(false);
    expect(allText(p.blocks)).toContain('… and 8 more rows');
    expect(allText(p.blocks)).not.toContain('dashboard');
  });

  it('says when it is sent late', async () => {
    const p = await build({ late: true });
    expect((p.blocks[0] as B).text.text).toBe('Daily digest · Tue 24 Nov 2026 (sent late)');
    expect(textsOf(p.blocks[1] as B)).toContain('Sent late');
    expect(p.text).toMatch(/\(sent late\)$/);
  });

  it('names a chart that failed', async () => {
    const p = await build({ failedCharts: [{ id: 'provider_comparison', error: 'vega: spec & data <broken>' }] });
    expect(allText(p.blocks)).toContain(
      '⚠️ Chart provider_comparison could not be drawn: vega: spec &amp; data &lt;broken&gt;',
    );
  });

  it('follows the configured section order and leaves out sections not asked for', async () => {
    const p = await build({ sections: ['models', 'kpis', 'health'] });
    const starts = (p.blocks as B[]).map((b) => b.text?.text?.split('\n')[0]).filter(Boolean);
    // The message: header, verdict, key figures (fields); the reply: the other sections in order.
    expect(starts).toEqual([
      'Daily digest · Tue 24 Nov 2026',
      '*✅ All normal · health 95/100*',
      '*Top models by cost*',
      '*Health 95/100*',
    ]);
    expect(keyFigures(p.main.blocks)).toBeDefined();
    const text = allText(p.blocks);
    for (const absent of ['*What moved*', '*Operations*', '*Users*', '*Finance*', 'Data quality'])
      expect(text).not.toContain(absent);
  });

  it('titles a week and a month report, in the report time zone', async () => {
    const weekly = loadSnapshotFixture('weekly');
    let p = buildSlackDigest(await digestModelFixture({ snapshot: weekly }), { ...OPTS, reportTitle: 'Weekly digest' });
    expect((p.blocks[0] as B).text.text).toBe('Weekly digest · Week 47, 16–22 Nov 2026');
    // (472.868687 − 499.205802) / 499.205802 = −5.3%, vs the week before.
    expect(field(p.blocks, 'Cost')).toBe('*Cost*\n$472.87 · ▼ 5.3%');
    expect(allText(p.blocks)).toContain('changes vs week 46');

    const crossing = loadSnapshotFixture('weekly');
    Object.assign(crossing.period, { start: '2026-11-30T00:00:00.000Z', end: '2026-12-07T00:00:00.000Z' });
    p = buildSlackDigest(await digestModelFixture({ snapshot: crossing }), OPTS);
    expect((p.blocks[0] as B).text.text).toBe('Daily digest · Week 49, 30 Nov – 6 Dec 2026');

    const monthly = loadSnapshotFixture('weekly');
    monthly.report.period = 'month';
    Object.assign(monthly.period, { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' });
    Object.assign(monthly.previous, { start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' });
    p = buildSlackDigest(await digestModelFixture({ snapshot: monthly }), OPTS);
    expect((p.blocks[0] as B).text.text).toBe('Daily digest · November 2026');
    expect(allText(p.blocks)).toContain('changes vs Oct 2026');

    // Kolkata is UTC+05:30: its 24 Nov starts at 23 Nov 18:30 UTC; data as of 00:49 UTC is 06:19 there.
    const kolkata = loadSnapshotFixture('daily');
    kolkata.report.timeZone = 'Asia/Kolkata';
    Object.assign(kolkata.period, { start: '2026-11-23T18:30:00.000Z', end: '2026-11-24T18:30:00.000Z' });
    Object.assign(kolkata.previous, { start: '2026-11-22T18:30:00.000Z', end: '2026-11-23T18:30:00.000Z' });
    p = buildSlackDigest(await digestModelFixture({ snapshot: kolkata }), OPTS);
    expect((p.blocks[0] as B).text.text).toBe('Daily digest · Tue 24 Nov 2026');
    expect(textsOf((p.blocks as B[]).at(-1)!)).toContain(
      'Data as of 25 Nov 2026 06:19 · generated 25 Nov 2026 06:20 · period 24 Nov 2026 00:00 – 25 Nov 2026 00:00 · times in Asia/Kolkata',
    );
  });

  it('says "no traffic" on a day without requests, and never prints NaN, Infinity, undefined or null', async () => {
    const p = await build({ dataAsOf: null }, (s) => {
      const k = s.kpis.current;
      Object.assign(k, {
        requests: 0,
        successfulRequests: 0,
        successRate: null,
        costUsd: 0,
        activeUsers: 0,
        avgLatencyMs: null,
        p95LatencyMs: null,
        tokens: 0,
        images: 0,
        videoSeconds: 0,
      });
      const gone = { kind: 'no-traffic', side: 'current' } as const;
      s.deltas.vsPrevious = {
        requests: gone,
        costUsd: gone,
        activeUsers: gone,
        avgLatencyMs: gone,
        p95LatencyMs: gone,
        successRate: gone,
      };
      s.deltas.vsSameWeekdayLastWeek = { ...s.deltas.vsPrevious };
      s.health = {
        score: null,
        override: null,
        components: s.health.components.map((c) => ({
          ...c,
          value: null,
          score: null,
          contribution: 0,
          note: 'no traffic',
        })),
      };
      s.attribution = {
        against: 'previous',
        cost: { totalChange: -83.465176, byProvider: [], byModel: [] },
        successRate: null,
      };
      s.operations = [];
      s.models = { top: [], other: null };
      s.topErrors = [];
      s.technical = { ...s.technical, errorRate: null, p50LatencyMs: null, p95LatencyMs: null, p99LatencyMs: null };
      Object.assign(s.users, { active: 0, new: 0, returning: 0, topUsers: [], byPlan: [] });
      Object.assign(s.finance, { periodCostUsd: 0, grossMarginRate: null });
      Object.assign(s.dataQuality, { newestRowAgeMinutes: null });
    });
    expect(field(p.blocks, 'Requests')).toBe('*Requests*\n0 · no traffic');
    expect(p.text).toBe('Daily digest Tue 24 Nov 2026: ✅ All normal · health n/a');
    for (const s of strings({ blocks: p.blocks, text: p.text })) {
      for (const bad of ['NaN', 'Infinity', 'undefined', 'null']) expect(s).not.toContain(bad);
    }
    expect(slackLimitViolations(p.main.blocks, p.main.text)).toEqual([]);
    if (p.details) expect(slackLimitViolations(p.details.blocks, p.details.text)).toEqual([]);
  });
});

describe('buildSlackDigest: hostile data', () => {
  it('escapes every name so nothing pings, links or breaks an entity', async () => {
    const hostile = ['<!channel>', '<@U123>', 'a&b', '<https://x|y>'];
    const p = await build(
      { failedCharts: [{ id: '<!here>', error: '<https://evil|click> & more' }] },
      (s) => {
        s.models.top.forEach((m, i) => {
          m.model = hostile[i % 4]!;
          m.provider = hostile[(i + 1) % 4]!;
          m.serviceType = hostile[(i + 2) % 4]!;
        });
        s.operations.forEach((o, i) => {
          o.provider = hostile[i % 4]!;
          o.serviceType = hostile[(i + 3) % 4]!;
        });
        s.topErrors.forEach((e, i) => {
          e.errorCode = hostile[i % 4]!;
        });
        s.attribution.cost.byModel.forEach((c, i) => {
          c.key = hostile[i % 4]!;
        });
        s.attribution.cost.byProvider.forEach((c, i) => {
          c.key = hostile[(i + 1) % 4]!;
        });
        s.attribution.successRate!.byErrorCode!.forEach((c, i) => {
          c.key = hostile[(i + 2) % 4]!;
        });
        s.users.topUsers[0]!.user = '<@U999>';
        s.users.byPlan[0]!.plan = 'a&b';
      },
      'R&D <!channel> digest',
    );
    const all = strings({ blocks: p.blocks, text: p.text });
    for (const s of all) {
      expect(s).not.toMatch(/[<>]/);
      expect(s).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    const text = allText(p.blocks);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;@U123&gt;');
    expect(text).toContain('&lt;https://x|y&gt;');
    expect(text).toContain('a&amp;b');
    expect(text).toContain('⚠️ Chart &lt;!here&gt; could not be drawn: &lt;https://evil|click&gt; &amp; more');
    expect(p.text.startsWith('R&amp;D &lt;!channel&gt; digest Tue 24 Nov 2026:')).toBe(true);
    // mrkdwn text is sent verbatim, so Slack does not auto-link or auto-mention within it either.
    const mrkdwn = (p.blocks as B[])
      .flatMap((b) => [b.text, ...(b.fields ?? []), ...(b.elements ?? [])])
      .filter((t) => t?.type === 'mrkdwn');
    expect(mrkdwn.length).toBeGreaterThan(5);
    for (const t of mrkdwn) expect(t.verbatim).toBe(true);
  });
});

describe('buildSlackDigest: Slack limits', () => {
  it('stays within every limit with 5,000 models, 300-character names, 200 operations rows and 200 error codes', async () => {
    const long = (tag: string, i: number) => `${tag}${i}-${'x'.repeat(300)}`;
    const p = await build(
      {
        sections: ALL,
        failedCharts: Array.from({ length: 40 }, (_, i) => ({ id: long('chart', i), error: long('error ', i) })),
      },
      (s) => {
        const m = s.models.top[0]!;
        s.models.top = Array.from({ length: 5000 }, (_, i) => ({
          ...m,
          model: long('model', i),
          provider: long('provider', i),
        }));
        s.operations = Array.from({ length: 200 }, (_, i) => ({
          ...s.operations[0]!,
          provider: long('provider', i),
          serviceType: long('service', i),
        }));
        const codes = Array.from({ length: 200 }, (_, i) => long('code', i));
        s.topErrors = codes.map((errorCode) => ({ errorCode, failures: 1, share: 1 / 200 }));
        s.attribution.successRate!.byErrorCode = codes.map((key) => ({ key, change: -0.01, shareOfChange: 0.005 }));
        s.attribution.cost.byModel = s.models.top
          .slice(0, 200)
          .map((x) => ({ key: `${x.provider}/${x.model}`, change: -1, shareOfChange: 0.1 }));
        s.users.byPlan = Array.from({ length: 200 }, (_, i) => ({
          plan: long('plan', i),
          users: 1,
          requests: 1,
          costUsd: 1,
        }));
      },
      'T'.repeat(300),
    );
    expect(slackLimitViolations(p.main.blocks, p.main.text)).toEqual([]);
    expect(slackLimitViolations(p.details!.blocks, p.details!.text)).toEqual([]);
    const blocks = p.main.blocks as B[];
    expect(blocks[0]!.type).toBe('header');
    // Requests, success, cost, users and three p95s.
    expect(keyFigures(blocks).fields).toHaveLength(7);
    expect(textsOf(blocks.at(-1)!)).toMatch(/^Data as of /);
    // Names are cut, never passed whole.
    expect(allText(blocks)).not.toContain('x'.repeat(200));
  });

  it('shortens row lists first when the whole digest does not fit, and says so', async () => {
    const long = (tag: string, i: number) => `${tag}${i}-${'x'.repeat(300)}`;
    const p = await build(
      { failedCharts: Array.from({ length: 9 }, (_, i) => ({ id: long('c', i), error: 'y'.repeat(2900) })) },
      (s) => {
        // 12 health components of ~600 characters: with full row lists the reply is over 12,000.
        for (const c of s.health.components) Object.assign(c, { note: 'y'.repeat(2900), target: 'y'.repeat(2900) });
        s.health.components = Array.from({ length: 12 }, (_, i) => ({ ...s.health.components[i % 4]! }));
        s.operations = Array.from({ length: 40 }, (_, i) => ({
          ...s.operations[0]!,
          provider: long('provider', i),
          serviceType: long('svc', i),
        }));
        s.models.top = Array.from({ length: 40 }, (_, i) => ({
          ...s.models.top[0]!,
          provider: long('provider', i),
          model: long('m', i),
          serviceType: long('svc', i),
        }));
        s.users.byPlan = Array.from({ length: 40 }, (_, i) => ({
          plan: long('plan', i),
          users: 1,
          requests: 1,
          costUsd: 1,
        }));
        s.topErrors = Array.from({ length: 40 }, (_, i) => ({ errorCode: long('code', i), failures: 1, share: 0.01 }));
        s.users.topUsers.forEach((u, i) => {
          u.user = long('u', i);
        });
        const rate = s.attribution.successRate!;
        for (const list of [
          s.attribution.cost.byModel,
          s.attribution.cost.byProvider,
          rate.byErrorCode!,
          rate.byProvider,
        ])
          list.forEach((c, i) => {
            c.key = long('k', i);
          });
        s.anomalies.flags = (
          ['requests', 'costUsd', 'activeUsers', 'successRate', 'avgLatencyMs', 'p95LatencyMs'] as const
        ).map((kpi) => ({ kpi, value: 1, mean: 0.5, stddev: 0.1, deviations: 5, direction: 'high' as const }));
      },
    );
    expect(slackLimitViolations(p.main.blocks, p.main.text)).toEqual([]);
    if (p.details) expect(slackLimitViolations(p.details.blocks, p.details.text)).toEqual([]);
    const text = allText(p.blocks);
    // 20 operations rows of ~210 characters and 15 model rows of ~170 are more than the 12,000 allow here.
    expect(text).toContain(
      "✂️ Shortened to fit Slack's limits: models beyond 3, operations beyond 5 left out; the dashboard has everything.",
    );
    const ops = blockStarting(p.blocks, '*Operations*')!.text.text as string;
    expect(ops.split('\n').filter((l) => l.startsWith('• *'))).toHaveLength(5);
    expect(ops).toContain('… and 35 more rows (see the dashboard)');
    const models = blockStarting(p.blocks, '*Top models by cost*')!.text.text as string;
    expect(models.split('\n').filter((l) => l.startsWith('• *'))).toHaveLength(3);
    // 37 hidden rows + 12 "other" models.
    expect(models).toContain('… and 49 more models:');
    // Shortening stops as soon as the reply fits: the sections are all still there.
    for (const start of ['*Users*', '*Finance*', '*Health']) expect(blockStarting(p.blocks, start)).toBeDefined();
  });

  it('drops whole sections from the reply in order (users, finance, models, operations, data quality, health) until it fits', async () => {
    // 30 health components of ~600 characters: the health section alone is over 12,000, so every
    // section before it in the drop order goes, then health itself; the message itself is whole.
    const p = await build({ failedCharts: [{ id: 'provider_comparison', error: 'boom' }] }, (s) => {
      const parts = s.health.components.map((c) => ({ ...c, note: 'n'.repeat(300), target: 't'.repeat(300) }));
      s.health.components = Array.from({ length: 30 }, (_, i) => parts[i % 4]!);
    });
    expect(slackLimitViolations(p.main.blocks, p.main.text)).toEqual([]);
    if (p.details) expect(slackLimitViolations(p.details.blocks, p.details.text)).toEqual([]);
    const starts = (blocks: unknown[]) =>
      (blocks as B[]).map((b) => (b.type === 'header' ? 'header' : textsOf(b).split('\n')[0] || b.type));
    expect(starts(p.main.blocks)).toEqual([
      'header',
      '*✅ All normal · health 95/100*',
      '*Requests*',
      'changes vs Mon 23 Nov',
      '⚠️ Chart provider_comparison could not be drawn: boom',
      '🧵 In the thread: health, operations, models, users, finance, data quality.',
      'Open dashboard',
      'Data as of 25 Nov 2026 00:49 · generated 25 Nov 2026 00:50 · period 24 Nov 2026 00:00 – 25 Nov 2026 00:00 · times in UTC',
    ]);
    expect(starts(p.details!.blocks)).toEqual([
      "✂️ Shortened to fit Slack's limits: users, finance, models, operations, data quality, health left out; the dashboard has everything.",
    ]);
  });
});

describe('slackLimitViolations', () => {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it('accepts a small valid message', () => {
    expect(
      slackLimitViolations([{ type: 'header', text: { type: 'plain_text', text: 'Hi' } }, section('ok')], 'ok'),
    ).toEqual([]);
  });

  it('flags 51 blocks', () => {
    const v = slackLimitViolations(
      Array.from({ length: 51 }, () => section('x')),
      'ok',
    );
    expect(v).toEqual(['51 blocks, max 50']);
  });

  it('flags a 151-character header', () => {
    const v = slackLimitViolations([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'ok');
    expect(v).toEqual(['block 1 (header): header text 151 characters, max 150']);
  });

  it('flags a section with 11 fields', () => {
    const fields = Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' }));
    expect(slackLimitViolations([{ type: 'section', fields }], 'ok')).toEqual(['block 1 (section): 11 fields, max 10']);
  });

  it('flags long section text, field, button, fallback and total text', () => {
    expect(slackLimitViolations([section('s'.repeat(3001))], 'ok')).toEqual([
      'block 1 (section): section text 3001 characters, max 3000',
    ]);
    expect(
      slackLimitViolations([{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }], 'ok'),
    ).toEqual(['block 1 (section): field 1 2001 characters, max 2000']);
    expect(
      slackLimitViolations(
        [
          {
            type: 'actions',
            elements: [{ type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) }, url: 'https://x' }],
          },
        ],
        'ok',
      ),
    ).toEqual(['block 1 (actions): button 1 text 76 characters, max 75']);
    expect(slackLimitViolations([section('ok')], 't'.repeat(3001))).toEqual([
      'fallback text: 3001 characters, max 3000',
    ]);
    // 5 sections of 2,500 = 12,500 characters in all.
    const five = Array.from({ length: 5 }, () => section('s'.repeat(2500)));
    expect(totalBlockText(five)).toBe(12_500);
    expect(slackLimitViolations(five, 'ok')).toEqual(['all block text: 12500 characters, max 12000']);
    expect(
      slackLimitViolations(
        [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }],
        'ok',
      ),
    ).toEqual(['block 1 (context): 11 elements, max 10']);
  });
});
