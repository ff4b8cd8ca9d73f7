-- Bit i of a block holds user number 4096 × block + i (user_bit()). Plain SQL without SET clauses,
-- inlined into the fold's statements.
CREATE OR REPLACE FUNCTION pulsebot.user_block(uid integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select uid >> 12 $function$;
