CREATE OR REPLACE FUNCTION pulsebot.hist_quantile(bins integer[], counts bigint[], q double precision)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select pulsebot.hist_quantile_after(bins, counts, 0, (select sum(c) from unnest(counts) as c), q)
$function$;
