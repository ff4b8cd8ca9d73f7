-- The session's batch tables (the user deltas and 15-minute groups a take fills), created on first
-- use and emptied on later calls: temp tables are per session, so reusing them across folds spares
-- the catalog a create and a drop per fold. A batch table older than a migration that added columns
-- to pending_15m (a pooled session outlives `migrate`) is made again in the new shape.
CREATE OR REPLACE FUNCTION pulsebot.prepare_batch()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  if to_regclass('pg_temp.pulsebot_batch_15m') is not null
     and (select count(*) from pg_attribute where attrelid = to_regclass('pg_temp.pulsebot_batch_15m') and attnum > 0 and not attisdropped)
         <> (select count(*) from pg_attribute where attrelid = 'pulsebot.pending_15m'::regclass and attnum > 0 and not attisdropped) then
    drop table pg_temp.pulsebot_user_batch, pg_temp.pulsebot_batch_15m;
  end if;
  if to_regclass('pg_temp.pulsebot_user_batch') is null then
    create temp table pulsebot_user_batch on commit delete rows as
    select day, user_id, dim_id, n as dn from pulsebot.model_user_days with no data;
    create temp table pulsebot_batch_15m on commit delete rows as
    select * from pulsebot.pending_15m with no data;
  else
    truncate pg_temp.pulsebot_user_batch, pg_temp.pulsebot_batch_15m;
  end if;
end
$function$;

revoke all on function pulsebot.prepare_batch() from public;
