-- The quantile walk over part of a histogram: its bins (sorted ascending) start after `before`
-- counts of a histogram of `total` counts. The views pass only the fine bins of the coarse bins
-- that hold the ranks the quantile needs; hist_quantile() passes a whole histogram. plpgsql, so the
-- walk stops at the second of the two ranks it interpolates between.
CREATE OR REPLACE FUNCTION pulsebot.hist_quantile_after(bins integer[], counts bigint[], before numeric, total numeric, q double precision)
 RETURNS double precision
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  cum bigint := before;
  h double precision;
  lo bigint;
  v_lo double precision;
  v_hi double precision;
  i integer;
begin
  if bins is null or total is null or total <= 0 then
    return null;
  end if;
  h := q * (total::bigint - 1);
  lo := floor(h)::bigint;
  for i in 1 .. coalesce(array_length(counts, 1), 0) loop
    cum := cum + counts[i];
    if v_lo is null and cum > lo then
      v_lo := pulsebot.latency_bin_value(bins[i]);
    end if;
    if cum > lo + 1 then
      v_hi := pulsebot.latency_bin_value(bins[i]);
      exit;
    end if;
  end loop;
  return v_lo + (h - lo) * (coalesce(v_hi, v_lo) - v_lo);
end
$function$;
