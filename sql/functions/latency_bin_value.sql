-- The value a latency bin reads back as, 2γ^i/(γ+1) with γ = 1.01918…: within α = 0.95% of every
-- latency in the bin. The zero bin (-32768, latencies ≤ 0) reads back as 0. Plain SQL without SET
-- clauses, so the planner can inline it. src/metrics/histogram.ts computes the same value.
CREATE OR REPLACE FUNCTION pulsebot.latency_bin_value(bin integer)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when bin = -32768 then 0
              else 2 * pg_catalog.power(1.0191822311963654::double precision, bin) / 2.0191822311963654 end
$function$;
