-- Swaps the change log out (usage_changes and its empty twin usage_changes_taken trade names) when
-- there is something to fold, no rebuild is due, nothing detached is waiting and the fold's lock is
-- free. ACCESS EXCLUSIVE waits (100 ms at most) for writers that have not committed, so the
-- detached rows are all committed. Call it in a transaction of its own; returns whether it swapped.
CREATE OR REPLACE FUNCTION pulsebot.detach_changes()
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  st pulsebot.rollup_state;
  caller_lock_timeout text := current_setting('lock_timeout');
begin
  if not pg_try_advisory_xact_lock(1886221428) then return false; end if;
  select * into st from pulsebot.rollup_state;
  -- A rebuild starts from api_usage (fold_changes()); a batch still detached is folded first.
  if st.needs_rebuild or st.timezone is distinct from pulsebot.dashboard_timezone()
     or exists (select 1 from pulsebot.taken_parts where pending or detached_at is not null)
     or not exists (select 1 from pulsebot.usage_changes) then
    return false;
  end if;
  begin
    perform set_config('lock_timeout', '100ms', true);
    lock table pulsebot.usage_changes, pulsebot.usage_changes_taken in access exclusive mode;
    perform set_config('lock_timeout', caller_lock_timeout, true);
  exception when lock_not_available then
    return false;
  end;
  -- Rows a failed swap's transaction left cannot exist (it rolled back), but an emptied table
  -- is the contract: never detach onto rows that were not folded.
  if exists (select 1 from pulsebot.usage_changes_taken) then return false; end if;
  alter table pulsebot.usage_changes rename to usage_changes_swapping;
  alter table pulsebot.usage_changes_taken rename to usage_changes;
  alter table pulsebot.usage_changes_swapping rename to usage_changes_taken;
  update pulsebot.taken_parts set pending = true, folded_rows = 0, detached_at = now();
  return true;
end
$function$;

revoke all on function pulsebot.detach_changes() from public;
