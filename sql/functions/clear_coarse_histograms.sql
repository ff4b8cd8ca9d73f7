CREATE OR REPLACE FUNCTION pulsebot.clear_coarse_histograms()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  if tg_table_name = 'latency_daily' then
    truncate pulsebot.latency_daily_coarse;
  else
    truncate pulsebot.latency_daily_total_coarse;
  end if;
  return null;
end
$function$;
