// Profiling aid: npm exec tsx bench/insert-batch.ts -- <database url> [rows]
// Inserts one benchmark batch (as bench:refresh does) and leaves it unfolded in the change log.
import postgres from 'postgres';
import { generateUsage, planDemo, type DemoUsageRow } from '../src/demo/generate.js';
import { Rng } from '../src/demo/random.js';

const [url, count = '100000'] = process.argv.slice(2);
const sql = postgres(url!, { max: 1, onnotice: () => {} });
const rng = new Rng(`insert-batch-${Date.now()}`);
const now = Date.now();
const n = Number(count);
const options = { now: new Date(now), days: 1, rowsPerDay: Math.max(n, 111_111) * 1.3, seed: 'bench-new-traffic' };
const rows: DemoUsageRow[] = [];
for (const row of generateUsage(options, planDemo({ ...options, rowsPerDay: 111_111 }))) {
  const created = rng.chance(0.1) ? now - rng.uniform(0, 90 * 86_400_000) : now - rng.uniform(0, 5 * 60_000);
  rows.push({ ...row, created_at: new Date(created) });
  if (rows.length === n) break;
}
for (let i = 0; i < rows.length; i += 1000) {
  const batch = rows.slice(i, i + 1000).map((r) => ({ ...r, is_synthetic: false })) as unknown as Record<string, unknown>[];
  await sql`insert into public.api_usage ${sql(batch as never)}`;
}
await sql.end();
