// Profiling aid: npx tsx scripts/insert-batch.ts <database url> [rows]
// Inserts one refresh-bench batch and leaves it unfolded in the change log, to profile the fold
// statement by statement (auto_explain, EXPLAIN ANALYZE) on the same rows.
import postgres from 'postgres';
import { insertNewRows } from '../bench/lib/dataset.js';
import type { Sql } from '../src/db/connect.js';
import { Rng } from '../src/demo/random.js';

const [url, count = '100000'] = process.argv.slice(2);
if (!url) {
  console.error('usage: npx tsx scripts/insert-batch.ts <database url> [rows]');
  process.exit(2);
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
await insertNewRows(sql as unknown as Sql, new Rng(`insert-batch-${Date.now()}`), Number(count));
await sql.end();
