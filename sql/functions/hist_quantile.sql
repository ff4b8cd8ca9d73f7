-- The q-quantile of a histogram given as bins sorted ascending with their counts, interpolated
-- between neighbouring ranks like percentile_cont, so it stays within α of percentile_cont. The
-- walk is hist_quantile_after() over the whole histogram: one walk to keep in step.
CREATE OR REPLACE FUNCTION pulsebot.hist_quantile(bins integer[], counts bigint[], q double precision)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select pulsebot.hist_quantile_after(bins, counts, 0, (select sum(c) from unnest(counts) as c), q)
$function$;
