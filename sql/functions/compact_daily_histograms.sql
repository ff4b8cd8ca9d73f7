-- Merges just the pending daily histograms into the rollups, under the fold's advisory lock. What
-- the views read grows with those rows, so `pulsebot refresh` calls this after every refresh, once
-- the views are committed, when a full compact_rollups() is not due yet.
CREATE OR REPLACE FUNCTION pulsebot.compact_daily_histograms()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET work_mem TO '64MB'
AS $function$
begin
  perform pg_advisory_xact_lock(1886221428);
  return pulsebot.merge_pending_daily();
end
$function$;

revoke all on function pulsebot.compact_daily_histograms() from public;
