-- The first day whose model bitmaps are kept: the views' 30 days (today − 29 … today) and two more,
-- so a view refreshed just after midnight still finds yesterday's window whole.
CREATE OR REPLACE FUNCTION pulsebot.model_bits_from(today date)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select today - 31 $function$;
