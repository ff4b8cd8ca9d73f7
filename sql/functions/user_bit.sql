CREATE OR REPLACE FUNCTION pulsebot.user_bit(uid integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select uid & 4095 $function$;
