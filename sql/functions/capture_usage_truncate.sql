-- TRUNCATE api_usage has no transition table, so it cannot be captured row by row: it marks the
-- rollups for a rebuild from api_usage at the next fold. SECURITY DEFINER like the other capture
-- functions (the application's role needs no rights on the pulsebot schema); it runs once per
-- TRUNCATE, not per write, so it can afford a pinned search_path.
CREATE OR REPLACE FUNCTION pulsebot.capture_usage_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  update pulsebot.rollup_state set needs_rebuild = true;
  return null;
end
$function$;

revoke all on function pulsebot.capture_usage_truncate() from public;
