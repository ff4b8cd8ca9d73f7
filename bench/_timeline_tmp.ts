import { openDatabase } from '../src/db/connect.js';
import { parseDatabaseUrl } from '../src/config/env.js';
import { refreshNow, type ViewRefresh } from '../src/db/refresh.js';
import { insertNewRows } from './dataset.js';
import { Rng } from '../src/demo/random.js';
const db = await openDatabase(parseDatabaseUrl(process.argv[2]!, 'DATABASE_URL'), { poolMax: 4, connectTimeoutSeconds: 10, statementTimeoutSeconds: 3600 });
const [{ tz }] = await db.sql`select pulsebot.dashboard_timezone() as tz` as any;
const rng = new Rng('timeline' + Date.now());
for (let r = 0; r < Number(process.argv[3] ?? 4); r++) {
  await insertNewRows(db.sql, rng, 100_000);
  const steps: ViewRefresh[] = [];
  const t0 = Date.now();
  await refreshNow(db.sql, { dashboardTimezone: tz, statementTimeoutSeconds: 600, onStep: (s) => steps.push(s) });
  const total = Date.now() - t0;
  const base = steps[0]!.startedAt.getTime();
  console.log(`total ${total} ms (client clock); ` + steps.map((s) => `${s.view} ${s.startedAt.getTime() - base}..${s.finishedAt.getTime() - base}`).join(', '));
  await db.sql`vacuum pulsebot.usage_changes`;
  await db.sql`select pulsebot.compact_daily_histograms()`;
}
await db.close();
