-- The users part of a detached batch: the (day, user, model) deltas go straight from the aggregate
-- into one pending batch row of arrays, and fold_user_bits() sets the bits from that row. Raises
-- SQLSTATE PB001, writing nothing, when a key is not in the dictionary (take_taken_part() registers
-- it). Removals fill the session's user batch for fold_user_removals() and empty it again.
CREATE OR REPLACE FUNCTION pulsebot.fold_taken_user_sets(tz text, keep_from date, today date)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  span record := pulsebot.uniform_local_day(tz, now());
  batch tid;
  appended bigint;
  missing bigint;
  removals boolean;
begin
  with g as (
    select case when c.created_at >= span.starts and c.created_at < span.ends then span.day
                else (c.created_at at time zone tz)::date end as day,
           c.user_id, c.dim_key, sum(c.sign) as dn
    from pulsebot.usage_changes_taken c
    where c.user_id is not null and c.created_at is not null
    group by 1, 2, 3 having sum(c.sign) <> 0
  ), a as (
    select array_agg(g.day) as days, array_agg(g.user_id) as user_ids, array_agg(m.id) as dim_ids, array_agg(g.dn) as dns,
           count(*) filter (where m.id is null) as missing, coalesce(bool_or(g.dn < 0), false) as removals
    from g left join pulsebot.usage_dims m on m.key = g.dim_key
    where g.day >= keep_from
  ), ins as (
    insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
    select a.days, a.user_ids, a.dim_ids, a.dns from a where a.missing = 0 and a.days is not null
    returning ctid, pg_catalog.cardinality(days) as n
  )
  select a.missing, a.removals, ins.ctid, ins.n into missing, removals, batch, appended from a left join ins on true;
  if missing > 0 then
    raise sqlstate 'PB001' using message = format('%s detached (day, user) keys name unregistered provider/model keys', missing);
  end if;
  if batch is null then return 0; end if;

  perform pulsebot.fold_user_bits(b.days, b.user_ids, b.dim_ids, b.dns, today)
  from pulsebot.model_user_days_pending_batches b where b.ctid = batch;

  if removals then
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select k.day, k.user_id, k.dim_id, k.dn
    from pulsebot.model_user_days_pending_batches b
    cross join lateral unnest(b.days, b.user_ids, b.dim_ids, b.dns) as k(day, user_id, dim_id, dn)
    where b.ctid = batch;
    perform pulsebot.fold_user_removals(today);
    truncate pg_temp.pulsebot_user_batch;
  end if;
  return appended;
end
$function$;

revoke all on function pulsebot.fold_taken_user_sets(text,date,date) from public;
