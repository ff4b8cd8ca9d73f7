CREATE OR REPLACE FUNCTION pulsebot.model_bits_from(today date)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select today - 31 $function$;
