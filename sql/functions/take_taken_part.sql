CREATE OR REPLACE FUNCTION pulsebot.take_taken_part(part text, tz text, keep_from date, OUT taken bigint, OUT appended bigint)
 RETURNS record
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  for attempt in 1..2 loop
    begin
      if part = 'measures' then
        select t.taken, t.appended into taken, appended from pulsebot.take_taken_measures(tz) t;
      else
        taken := 0;
        appended := pulsebot.fold_taken_user_sets(tz, keep_from, (now() at time zone tz)::date);
      end if;
      return;
    exception when sqlstate 'PB001' then
      if attempt = 2 then raise; end if;
    end;
    perform pulsebot.register_dims();
  end loop;
end
$function$;

revoke all on function pulsebot.take_taken_part(text,text,date) from public;
