CREATE OR REPLACE FUNCTION pulsebot.dashboard_timezone()
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select coalesce((select value from pulsebot.settings where key = 'dashboard_timezone'), 'UTC')
$function$;
