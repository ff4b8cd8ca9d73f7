import type { Sql } from '../../src/db/connect.js';
import type { Rng } from '../../src/demo/random.js';

const MODELS = [
  ['openai', 'content', 'gpt-4o'],
  ['openai', 'content', 'gpt-4o-mini'],
  ['anthropic', 'content', 'claude-sonnet-4'],
  ['flux', 'images', 'flux-pro-1.1'],
  ['runway', 'video', 'gen-3-alpha'],
] as const;
const USERS = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
const DAY = 86_400_000;

const newUser = (rng: Rng) =>
  `${rng.int(0x10000000, 0x7fffffff).toString(16)}-0000-4000-8000-${String(rng.int(1, 999_999_999)).padStart(12, '0')}`;

/** A random api_usage row: mostly recent, some back-dated up to 95 days, a few a day in the future. */
export function randomRow(rng: Rng, now: number): Record<string, unknown> {
  const [provider, service_type, model] = MODELS[rng.int(0, MODELS.length - 1)]!;
  const r = rng.next();
  const age = r < 0.5 ? rng.uniform(0, 2 * 3_600_000) : r < 0.95 ? rng.uniform(0, 95 * DAY) : -rng.uniform(0, DAY);
  const latency = rng.chance(0.08) ? null : rng.chance(0.03) ? 0 : Math.round(Math.exp(rng.uniform(3, 11)));
  const success = rng.chance(0.8);
  return {
    created_at: new Date(now - age),
    // A few users never seen before, in every batch: whoever folds it must number them.
    user_id: rng.chance(0.15) ? null : rng.chance(0.05) ? newUser(rng) : USERS[rng.int(0, USERS.length - 1)],
    provider,
    service_type,
    model,
    input_tokens: service_type === 'content' ? rng.int(0, 4000) : null,
    output_tokens: service_type === 'content' && rng.chance(0.9) ? rng.int(0, 2000) : null,
    images: service_type === 'images' ? rng.int(1, 4) : null,
    // Some with more decimals than the capture's integer millionths hold: summed as numeric.
    video_seconds: service_type === 'video' ? (rng.chance(0.2) ? rng.int(1, 2e9) / 1e8 : rng.int(1, 20) / 2) : null,
    // A few negative costs (refunds, bad rows) must fold as exactly as the rest.
    cost_usd: rng.chance(0.03) ? -rng.int(1, 1000) / 1e4 : rng.int(0, 2_000_000) / 1e6,
    latency_ms: latency,
    success,
    error_code: success ? null : ['rate_limited', 'timeout', 'server_error'][rng.int(0, 2)],
  };
}

/** One batch of random writes: multi-row and single-row inserts, updates that move rows, deletes. */
export async function randomWrites(sql: Sql, rng: Rng, now: number): Promise<void> {
  const inserts = Array.from({ length: rng.int(1, 60) }, () => randomRow(rng, now));
  await sql`insert into public.api_usage ${sql(inserts as never[])}`;
  for (let i = rng.int(0, 3); i > 0; i--) await sql`insert into public.api_usage ${sql(randomRow(rng, now) as never)}`;

  const ids = (await sql<{ id: number }[]>`select id from public.api_usage`).map((r) => r.id);
  if (ids.length === 0) return;
  const some = (n: number) => Array.from({ length: Math.min(n, ids.length) }, () => ids[rng.int(0, ids.length - 1)]!);
  // Updates: move in time (across buckets and days), change user, latency, outcome, cost, model.
  for (const id of some(rng.int(0, 8))) {
    const row = randomRow(rng, now);
    const column = (['created_at', 'user_id', 'latency_ms', 'success', 'cost_usd', 'model'] as const)[rng.int(0, 5)]!;
    await sql`update public.api_usage set ${sql(row, column)} where id = ${id}`;
  }
  const bulk = some(rng.int(0, 10));
  if (bulk.length)
    await sql`update public.api_usage set latency_ms = latency_ms + 1, cost_usd = cost_usd * 2 where id in ${sql(bulk)}`;
  const doomed = some(rng.int(0, 12));
  if (doomed.length) await sql`delete from public.api_usage where id in ${sql(doomed)}`;
}
