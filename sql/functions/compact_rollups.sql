-- Merges every pending delta into the rollups (pending_15m, the daily histograms, the (day, user,
-- model) count batches), each key once however many batches named it; keys that reach zero go.
-- Holds the fold's advisory lock, so it never interleaves with a fold. `pulsebot refresh` calls it
-- once the views are committed, fold_changes() once pending grows large. Returns the rows merged.
CREATE OR REPLACE FUNCTION pulsebot.compact_rollups()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET work_mem TO '64MB'
 SET random_page_cost TO '1.1'
AS $function$
declare
  merged bigint;
  user_rows bigint;
begin
  perform pg_advisory_xact_lock(1886221428);

  create temp table pulsebot_compact on commit drop as
  with taken as (delete from pulsebot.pending_15m returning *)
  select * from taken;
  get diagnostics merged = row_count;
  if merged > 0 then
    analyze pg_temp.pulsebot_compact;
    perform pulsebot.merge_pending_15m();
  end if;
  merged := merged + pulsebot.merge_pending_daily();

  create temp table pulsebot_compact_users on commit drop as
  with taken as (delete from pulsebot.model_user_days_pending_batches returning *)
  select k.day, k.user_id, k.dim_id, sum(k.dn) as dn
  from taken cross join lateral unnest(taken.days, taken.user_ids, taken.dim_ids, taken.dns) as k(day, user_id, dim_id, dn)
  group by 1, 2, 3 having sum(k.dn) <> 0;
  get diagnostics user_rows = row_count;
  if user_rows > 0 then
    analyze pg_temp.pulsebot_compact_users;
    with upd as (
      update pulsebot.model_user_days t set n = t.n + c.dn
      from pg_temp.pulsebot_compact_users c
      where t.day = c.day and t.user_id = c.user_id and t.dim_id = c.dim_id
      returning t.day, t.user_id, t.dim_id
    )
    insert into pulsebot.model_user_days (day, user_id, dim_id, n)
    select c.day, c.user_id, c.dim_id, c.dn from pg_temp.pulsebot_compact_users c
    where c.dn > 0 and not exists (select 1 from upd where upd.day = c.day and upd.user_id = c.user_id and upd.dim_id = c.dim_id)
    order by 1, 2, 3;
    delete from pulsebot.model_user_days t using pg_temp.pulsebot_compact_users c
    where c.dn < 0 and t.day = c.day and t.user_id = c.user_id and t.dim_id = c.dim_id and t.n <= 0;
  end if;

  drop table pg_temp.pulsebot_compact, pg_temp.pulsebot_compact_users;
  update pulsebot.rollup_state set pending_rows = 0, compacted_at = now();
  return merged + user_rows;
end
$function$;

revoke all on function pulsebot.compact_rollups() from public;
