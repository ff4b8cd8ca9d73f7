-- A user number's bit in its block of 4,096 (user_block()). Plain SQL without SET clauses, inlined
-- into the fold's statements.
CREATE OR REPLACE FUNCTION pulsebot.user_bit(uid integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select uid & 4095 $function$;
