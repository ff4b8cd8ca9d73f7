CREATE OR REPLACE FUNCTION pulsebot.hist_quantile_unsorted(bins integer[], counts bigint[], q double precision)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select pulsebot.hist_quantile(pg_catalog.array_agg(b order by b), pg_catalog.array_agg(c order by b), q)
  from unnest(bins, counts) as u(b, c)
$function$;
