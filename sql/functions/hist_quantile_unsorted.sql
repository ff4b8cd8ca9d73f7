-- hist_quantile() of a histogram whose bins come in any order, as array_agg gives them after a hash
-- aggregate: sorting one histogram's bins here costs less than ordering every row fed to the
-- aggregates.
CREATE OR REPLACE FUNCTION pulsebot.hist_quantile_unsorted(bins integer[], counts bigint[], q double precision)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select pulsebot.hist_quantile(pg_catalog.array_agg(b order by b), pg_catalog.array_agg(c order by b), q)
  from unnest(bins, counts) as u(b, c)
$function$;
