-- Folds one part ('measures' or 'users') of a detached batch: `pulsebot refresh` runs both at once
-- on two connections. Holds the fold's advisory lock shared and its taken_parts row, so a part is
-- folded once, never beside a fold. Skips when a rebuild is due (fold_changes() rebuilds from
-- api_usage, which holds the detached rows too). Returns the change rows folded, 0 for 'users'.
CREATE OR REPLACE FUNCTION pulsebot.fold_taken(part text)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET work_mem TO '64MB'
AS $function$
declare
  tz text := pulsebot.dashboard_timezone();
  st pulsebot.rollup_state;
  todo boolean;
  t record;
begin
  perform pg_advisory_xact_lock_shared(1886221428);
  select p.pending into todo from pulsebot.taken_parts p where p.part = fold_taken.part for update;
  if not coalesce(todo, false) then return 0; end if;
  select * into st from pulsebot.rollup_state;
  -- fold_changes() rebuilds from api_usage, which holds the detached rows too.
  if st.needs_rebuild or st.timezone is distinct from tz then return 0; end if;

  perform pulsebot.prepare_batch();
  t := pulsebot.take_taken_part(part, tz, coalesce(st.pruned_before, date '-infinity'));
  if part = 'measures' then perform pulsebot.merge_daily(tz); end if;
  update pulsebot.taken_parts p set pending = false, folded_rows = t.taken where p.part = fold_taken.part;
  update pulsebot.rollup_state set pending_rows = pending_rows + t.appended;
  return t.taken;
end
$function$;

revoke all on function pulsebot.fold_taken(text) from public;
