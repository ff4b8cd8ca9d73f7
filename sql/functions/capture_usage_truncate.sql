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
