CREATE OR REPLACE FUNCTION pulsebot.latency_bin_value(bin integer)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when bin = -32768 then 0
              else 2 * pg_catalog.power(1.0191822311963654::double precision, bin) / 2.0191822311963654 end
$function$;
