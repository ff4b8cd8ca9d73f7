-- Empties the coarse histogram table of the fine daily histogram being truncated, so a rebuild
-- (fold_changes() truncates the fine ones) clears both levels. The trigger function of
-- latency_daily_clears_coarse and latency_daily_total_clears_coarse.
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
