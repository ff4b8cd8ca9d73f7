-- The dashboard's time zone (UTC when unset): the day boundary of the views and the daily rollups.
-- Read from pulsebot.settings, which pulsebot writes from its configuration, so SQL callers such as
-- pg_cron see the same value. STABLE, so a materialized view may use it.
CREATE OR REPLACE FUNCTION pulsebot.dashboard_timezone()
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select coalesce((select value from pulsebot.settings where key = 'dashboard_timezone'), 'UTC')
$function$;
