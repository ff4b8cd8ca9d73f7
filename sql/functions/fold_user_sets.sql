-- The users of a batch taken from the log (the session's user batch): appends their (day, user,
-- model) deltas to pending as one row of arrays and sets the bits from that row through
-- fold_user_bits(), as the detached path does; removals go through fold_user_removals(). Returns
-- the keys appended.
CREATE OR REPLACE FUNCTION pulsebot.fold_user_sets(today date)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  batch tid;
  appended bigint;
begin
  insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
  select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from pg_temp.pulsebot_user_batch
  having count(*) > 0
  returning ctid, pg_catalog.cardinality(days) into batch, appended;
  if batch is null then return 0; end if;

  perform pulsebot.fold_user_bits(b.days, b.user_ids, b.dim_ids, b.dns, today)
  from pulsebot.model_user_days_pending_batches b where b.ctid = batch;

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals(today);
  end if;
  return appended;
end
$function$;

revoke all on function pulsebot.fold_user_sets(date) from public;
