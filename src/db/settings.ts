import type { Sql, TransactionSql } from './connect.js';

/**
 * Values the SQL side needs to agree with the config file on (read by functions in the
 * database, so pg_cron calling refresh_analytics_views() sees the same day boundary).
 */
export async function syncSettings(sql: Sql | TransactionSql, settings: { dashboardTimezone: string }): Promise<void> {
  await sql`
    insert into pulsebot.settings (key, value) values ('dashboard_timezone', ${settings.dashboardTimezone})
    on conflict (key) do update set value = excluded.value, updated_at = now()
    where pulsebot.settings.value is distinct from excluded.value`;
}
