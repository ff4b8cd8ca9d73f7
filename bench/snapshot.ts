// npm run bench:snapshot -- [--rows 10000000] [--rounds 5] [--fresh]
//
// The snapshot (fold of pending changes, every query module, the pure build) for a day report
// and a month report over the benchmark dataset on the PostgreSQL server of DATABASE_URL.
// Target: the day report ≤ 200 ms at 10M rows.
import { parseArgs } from 'node:util';
import { configSchema, type PulsebotConfig } from '../src/config/schema.js';
import { loadSnapshot } from '../src/metrics/load-snapshot.js';
import { ensureLoaded, fmt, median, ms } from './dataset.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '10000000' }, rounds: { type: 'string', default: '5' }, fresh: { type: 'boolean', default: false } },
});
const rows = Number(values.rows.replace(/_/g, ''));
const rounds = Number(values.rounds);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl || !Number.isInteger(rows) || rows < 1000 || !(rounds >= 1)) {
  console.error('usage: DATABASE_URL=postgres://… npm run bench:snapshot -- [--rows 10000000] [--rounds 5] [--fresh]');
  process.exit(2);
}

const db = await ensureLoaded(serverUrl, rows, values.fresh);
const config: PulsebotConfig = configSchema.parse({
  budget: { monthly_usd: 5000 },
  reports: { daily: { period: 'day', timezone: 'UTC', top_models: 8 }, monthly: { period: 'month', timezone: 'UTC', top_models: 8 } },
});
// A refresh benchmark run before leaves the change log full of dead rows; autovacuum clears them
// in a live database, so measure after a vacuum rather than after an arbitrary backlog.
await db.sql`vacuum analyze pulsebot.usage_changes`;
const [{ n }] = (await db.sql`select count(*)::bigint as n from public.api_usage`) as unknown as [{ n: number }];
console.log(`snapshot over ${n.toLocaleString()} rows, ${rounds} rounds each (the first warms the cache)`);
for (const report of ['daily', 'monthly']) {
  const times: number[] = [];
  let label = '';
  for (let i = 0; i <= rounds; i++) {
    const t0 = process.hrtime.bigint();
    const s = await loadSnapshot(db.sql, config, { report, now: new Date() });
    if (i > 0) times.push(ms(t0));
    label = `${s.period.label}: ${s.kpis.current.requests.toLocaleString()} requests, health ${s.health.score}`;
  }
  console.log(`${report.padEnd(8)} median ${fmt(median(times))} [${times.map(fmt).join(', ')}]  (${label})${report === 'daily' ? `  target ≤ 200 ms: ${median(times) <= 200 ? 'met' : 'missed'}` : ''}`);
}
await db.close();
