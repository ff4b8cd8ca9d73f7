-- Today's date in time zone `tz` at `instant`, and its UTC span [starts, ends) when the whole span
-- has that date and one UTC offset; otherwise an empty span (starts = ends). The user sets' takes
-- give rows inside the span today's date without converting each row's timestamp.
CREATE OR REPLACE FUNCTION pulsebot.uniform_local_day(tz text, instant timestamp with time zone, OUT day date, OUT starts timestamp with time zone, OUT ends timestamp with time zone)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  day := (instant at time zone tz)::date;
  starts := day::timestamp at time zone tz;
  ends := (day + 1)::timestamp at time zone tz;
  if ends - starts <> interval '24 hours'
     or (starts at time zone tz) <> day::timestamp
     or ((ends - interval '1 microsecond') at time zone tz) <> (day + 1)::timestamp - interval '1 microsecond' then
    starts := ends;
  end if;
end
$function$;

revoke all on function pulsebot.uniform_local_day(text,timestamp with time zone) from public;
