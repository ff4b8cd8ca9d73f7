import type { Sql } from './connect.js';

/** True when the rollups must be recomputed from api_usage (fresh install, TRUNCATE, time-zone change). */
export async function rollupsNeedRebuild(sql: Sql): Promise<boolean> {
  const [installed] = await sql<
    { present: boolean }[]
  >`select to_regclass('pulsebot.rollup_state') is not null as present`;
  if (!installed?.present) return false;
  const [row] = await sql<{ needed: boolean }[]>`
    select needs_rebuild or timezone is distinct from pulsebot.dashboard_timezone() as needed from pulsebot.rollup_state`;
  return row?.needed === true;
}
