-- Takes one part of the detached rows: 'measures' into the session's batch tables (returns the
-- change rows taken and the pending rows appended), 'users' folded whole (returns the keys
-- appended). On SQLSTATE PB001 (a key not in the dictionary) the attempt is rolled back,
-- register_dims() runs, and it tries once more.
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
