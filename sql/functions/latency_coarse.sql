-- The coarse bin of a fine latency bin: 16 consecutive fine bins a coarse bin. The views find the
-- coarse bins that hold a percentile's ranks, then read only their fine bins. Plain SQL without SET
-- clauses, so the planner can inline it.
CREATE OR REPLACE FUNCTION pulsebot.latency_coarse(bin integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select bin >> 4 $function$;
