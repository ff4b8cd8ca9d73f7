import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { runCli } from '../support/cli.js';
import { freshEnvironment, TARGETS, type FreshEnvironment } from '../support/databases.js';
import { LOOSE_TABLES } from '../rollup/odd-usage.js';

const CONFIG = `
reports:
  daily:
    period: day
    timezone: UTC
    routes:
      slack: ["#ai-usage"]
      email: [ana@acme.test]
email:
  from: "pulsebot <bot@acme.test>"
`;

/**
 * Yesterday (UTC): 3 good rows (cost 0.10, 0.20, 0.30; latency 100, 200, 300 ms) and one row of
 * each odd kind, each otherwise good (cost 0.10, latency 400 ms, success, model gpt-4o). Costs that
 * count: 0.60 + 0.10 × 6 (the null-success, empty-model, the three odd-latency rows and the NaN
 * video row) = 1.20. Latencies that count: 100, 200, 300 and 400 × 5 (the null-cost, NaN-cost,
 * null-success, empty-model and NaN-video rows) = 2,600 over 8: 325 ms.
 */
const ODD: Array<[string, Record<string, unknown>]> = [
  ['NaN cost', { cost_usd: 'NaN' }],
  ['null cost', { cost_usd: null }],
  ['null success', { success: null }],
  ['empty model', { model: '' }],
  ['negative latency', { latency_ms: -20 }],
  ['outlier latency', { latency_ms: 2_147_483_647 }],
  ['infinite latency', { latency_ms: 'Infinity' }],
  ['NaN video', { service_type: 'video', video_seconds: 'NaN' }],
];

describe.each(TARGETS)('pulsebot snapshot, digest and doctor with odd rows (subprocess) on %s', (target) => {
  let env: FreshEnvironment;
  let cwd: string;
  let base: Record<string, string>;
  beforeAll(async () => {
    env = await freshEnvironment(target, { migrated: false });
    const db = await env.open();
    try {
      await db.sql.unsafe(LOOSE_TABLES['numeric cost, float8 latency']);
      await migrate(db.sql);
      const now = new Date();
      const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 86_400_000;
      const good = { provider: 'openai', service_type: 'content', model: 'gpt-4o', success: true };
      const rows = [
        ...[100, 200, 300].map((ms) => ({ ...good, cost_usd: (ms / 1000).toFixed(2), latency_ms: ms })),
        ...ODD.map(([, odd]) => ({ ...good, cost_usd: '0.10', latency_ms: 400, video_seconds: null, ...odd })),
      ].map((r, i) => ({ video_seconds: null, ...r, created_at: new Date(day + (i + 1) * 3_600_000) }));
      await db.sql`insert into public.api_usage ${db.sql(rows as never[])}`;
    } finally {
      await db.close();
    }
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-odd-'));
    writeFileSync(join(cwd, 'pulsebot.yaml'), CONFIG);
    base = { ...env.env, PULSEBOT_CONFIG: join(cwd, 'pulsebot.yaml'), PULSEBOT_OUTBOX_DIR: join(cwd, 'outbox') };
  });
  afterAll(async () => {
    await env?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('snapshot --json: finite figures, and each kind counted', async () => {
    const r = await runCli(['snapshot', '--json'], { env: base, cwd });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.kpis.current).toMatchObject({
      requests: 11,
      // 10 succeeded out of the 10 with an outcome.
      successfulRequests: 10,
      successRate: 1,
      avgLatencyMs: 325,
    });
    // Summed per model in double precision.
    expect(s.kpis.current.costUsd).toBeCloseTo(1.2, 9);
    expect(s.dataQuality).toMatchObject({
      nonFiniteCostRows: 1,
      nullCostRows: 1,
      nullSuccessRows: 1,
      unknownModelRows: 1,
      negativeLatencyRows: 1,
      outlierLatencyRows: 1,
      nonFiniteLatencyRows: 1,
      nonFiniteVideoRows: 1,
      negativeCostRows: 0,
      nullLatencyRows: 0,
    });
  });

  it('snapshot names every kind on its data-quality line', async () => {
    const r = await runCli(['snapshot'], { env: base, cwd });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('data quality:'));
    for (const text of [
      '1 row with a NaN or infinite cost (counted as $0)',
      '1 row without a cost (counted as $0)',
      '1 row without an outcome (left out of the success rate)',
      '1 row without a model (counted as "unknown")',
      '1 row with a negative latency (left out of latency figures)',
      '1 row with a latency over 24 h (left out of latency figures)',
      '1 row with a NaN or infinite latency (left out of latency figures)',
      '1 row with NaN or infinite video seconds (counted as 0)',
    ])
      expect(line).toContain(text);
    expect(r.stdout).toMatch(/^avg latency +325 ms/m);
  });

  it('digest builds and queues the report, and its Slack, email and text parts name the kinds', async () => {
    const out = join(cwd, 'preview');
    const preview = await runCli(['digest', '--out', out], { env: base, cwd });
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    // Data quality is among the details, in the Slack message's thread.
    const slack = readFileSync(join(out, 'slack-ai-usage-thread.json'), 'utf8');
    const text = readFileSync(join(out, 'email.txt'), 'utf8');
    const html = readFileSync(join(out, 'email.html'), 'utf8');
    for (const part of [slack, text, html]) {
      expect(part).toContain('with a NaN or infinite cost');
      expect(part).toContain('without an outcome');
      expect(part).toContain('with a latency over 24 h');
      expect(part).not.toContain('NaN%');
    }
    const sent = await runCli(['digest'], { env: base, cwd });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toContain('✓ email to ana@acme.test');
  });

  it('doctor warns with the counts of the last 7 days, kind by kind', async () => {
    const r = await runCli(['doctor', '--json'], { env: base, cwd });
    const check = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'data quality');
    expect(check).toMatchObject({ status: 'warn' });
    expect(check.detail).toMatch(/^last 7 days: 1 row with a NaN or infinite cost \(counted as \$0\); /);
    for (const kind of ['without a cost', 'without an outcome', 'without a model', 'negative latency', 'over 24 h'])
      expect(check.detail).toContain(kind);
  });
});
