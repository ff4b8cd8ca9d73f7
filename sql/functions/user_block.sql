CREATE OR REPLACE FUNCTION pulsebot.user_block(uid integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select uid >> 12 $function$;
