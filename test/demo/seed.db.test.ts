import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/connect.js';
import { generateUsage, planDemo } from '../../src/demo/generate.js';
import { seedDemo } from '../../src/demo/seed.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const NOW = new Date('2026-11-20T10:17:00Z');
const OPTIONS = { now: NOW, days: 5, rowsPerDay: 400, seed: 'fixture', append: false };

/** A digest of every demo row (ids aside), in a stable order. */
async function fingerprint(sql: Sql): Promise<{ rows: number; digest: string }> {
  const [r] = await sql<{ rows: number; digest: string }[]>`
    select count(*)::int as rows,
           md5(string_agg(concat_ws('|', created_at, user_id, provider, service_type, model, input_tokens, output_tokens,
                                    images, video_seconds, cost_usd, latency_ms, success, error_code),
                          ',' order by created_at, user_id, model, latency_ms, cost_usd)) as digest
    from public.api_usage where is_synthetic`;
  return r!;
}

describe.each(TARGETS)('seed-demo on %s', (target) => {
  let db: Database;
  let other: Database;
  beforeAll(async () => {
    [db, other] = await Promise.all([freshDatabase(target), freshDatabase(target)]);
  });
  afterAll(async () => {
    await db.close();
    await other.close();
  });

  it('writes the same rows for the same seed and time, in any database', async () => {
    const a = await seedDemo(db.sql, OPTIONS);
    const b = await seedDemo(other.sql, OPTIONS);
    expect(a.rows).toBeGreaterThan(1500);
    expect(b.rows).toBe(a.rows);
    expect(await fingerprint(other.sql)).toEqual(await fingerprint(db.sql));
    const c = await seedDemo(other.sql, { ...OPTIONS, seed: 'another' });
    expect((await fingerprint(other.sql)).digest).not.toBe((await fingerprint(db.sql)).digest);
    expect(c.removedRows).toBe(b.rows);
  });

  it('stores every field as generated (totals recomputed from the generator in JS)', async () => {
    const expected = {
      rows: 0,
      successes: 0,
      anonymous: 0,
      cost: 0,
      tokens: 0,
      images: 0,
      video: 0,
      errors: 0,
      latency: 0,
    };
    for (const r of generateUsage(OPTIONS, planDemo(OPTIONS))) {
      expected.rows++;
      if (r.success) expected.successes++;
      if (r.user_id === null) expected.anonymous++;
      if (r.error_code !== null) expected.errors++;
      expected.cost += r.cost_usd;
      expected.tokens += (r.input_tokens ?? 0) + (r.output_tokens ?? 0);
      expected.images += r.images ?? 0;
      expected.video += r.video_seconds ?? 0;
      expected.latency += r.latency_ms;
    }
    const [actual] = await db.sql<Record<keyof typeof expected, number>[]>`
      select count(*)::int as rows, count(*) filter (where success)::int as successes, count(*) filter (where user_id is null)::int as anonymous,
             sum(cost_usd) as cost, sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))::int as tokens,
             sum(coalesce(images, 0))::int as images, sum(coalesce(video_seconds, 0)) as video,
             count(error_code)::int as errors, sum(latency_ms)::bigint as latency
      from public.api_usage where is_synthetic`;
    expect({ ...actual, cost: Number(actual!.cost.toFixed(6)) }).toEqual({
      ...expected,
      cost: Number(expected.cost.toFixed(6)),
    });
    expect(expected.successes / expected.rows).toBeGreaterThan(0.9);
  });

  it('stays inside the last N days, every row marked synthetic, no model with the wrong provider', async () => {
    const [r] = await db.sql<{ first: Date; last: Date; unmarked: number }[]>`
      select min(created_at) as first, max(created_at) as last, count(*) filter (where not is_synthetic)::int as unmarked from public.api_usage`;
    expect(r!.last.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(r!.first.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 5 * 86_400_000);
    expect(r!.unmarked).toBe(0);
    const pairs = await db.sql<
      { provider: string; model: string }[]
    >`select distinct provider, model from public.api_usage`;
    const sells: Record<string, string[]> = {
      openai: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-image-1', 'dall-e-3'],
      anthropic: ['claude-sonnet-4', 'claude-3-5-haiku', 'claude-opus-4'],
      flux: ['flux-pro-1.1', 'flux-pro-1.1-ultra', 'flux-dev'],
      ideogram: ['ideogram-v2', 'ideogram-v2-turbo', 'ideogram-v3'],
      luma: ['ray-2', 'ray-flash-2'],
      runway: ['gen-3-alpha-turbo', 'gen-4-turbo', 'gen-3-alpha'],
    };
    for (const p of pairs) expect(sells[p.provider], `${p.provider}/${p.model}`).toContain(p.model);
  });

  it('replaces only its own rows and subscriptions; real ones are never touched', async () => {
    await db.sql`insert into public.api_usage (provider, service_type, model, cost_usd, success, created_at)
                 values ('openai', 'content', 'gpt-4o', 0.5, true, ${NOW})`;
    await db.sql`insert into public.user_subscriptions (user_id, plan, status, monthly_amount_usd)
                 values ('11111111-1111-4111-8111-111111111111', 'enterprise', 'active', 999)`;
    const before = await fingerprint(db.sql);
    const again = await seedDemo(db.sql, OPTIONS);
    expect(again.removedRows).toBe(before.rows);
    expect(await fingerprint(db.sql)).toEqual(before);
    const [counts] = await db.sql<{ real_rows: number; real_subs: number; subs: number }[]>`
      select (select count(*)::int from public.api_usage where not is_synthetic) as real_rows,
             (select count(*)::int from public.user_subscriptions where plan = 'enterprise') as real_subs,
             (select count(*)::int from public.user_subscriptions) as subs`;
    expect(counts).toEqual({ real_rows: 1, real_subs: 1, subs: again.subscriptions + 1 });

    await db.sql`delete from public.api_usage where is_synthetic`;
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.api_usage`;
    expect(left!.n).toBe(1);
  });
});
