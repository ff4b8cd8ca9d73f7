CREATE OR REPLACE FUNCTION pulsebot.latency_coarse(bin integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select bin >> 4 $function$;
