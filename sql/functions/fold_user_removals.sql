-- Keys that lost rows (the batch is already in pending): a key whose count (rollup row plus pending
-- deltas) reached zero clears its model bit; a user's day bit goes when no model is left that day.
-- Only the keys and days the removals name are read. random_page_cost 1.1: those keys are hot in
-- memory, so probing them beats hashing whole tables.
CREATE OR REPLACE FUNCTION pulsebot.fold_user_removals(today date)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET random_page_cost TO '1.1'
AS $function$
begin
  -- Pending counts of every key of the users who lost a key (one pass over pending).
  create temp table pulsebot_user_pending on commit drop as
  select p.day, p.user_id, p.dim_id, sum(p.dn) as dn
  from pulsebot.model_user_days_pending p
  where p.user_id in (select user_id from pg_temp.pulsebot_user_batch where dn < 0)
  group by 1, 2, 3;
  -- Probed per key below: a large delete names many keys.
  create index on pg_temp.pulsebot_user_pending (day, user_id, dim_id);
  analyze pg_temp.pulsebot_user_pending;

  create temp table pulsebot_gone on commit drop as
  select l.day, l.user_id, l.dim_id, n.uid
  from pg_temp.pulsebot_user_batch l
  join pulsebot.user_numbers n on n.user_id = l.user_id
  left join pulsebot.model_user_days t on t.day = l.day and t.user_id = l.user_id and t.dim_id = l.dim_id
  left join pg_temp.pulsebot_user_pending p on p.day = l.day and p.user_id = l.user_id and p.dim_id = l.dim_id
  where l.dn < 0 and coalesce(t.n, 0) + coalesce(p.dn, 0) <= 0;

  with g as (
    select day, dim_id, pulsebot.user_block(uid) as block, pulsebot.bits_of(pulsebot.user_bit(uid), 1) as bits
    from pg_temp.pulsebot_gone where day >= pulsebot.model_bits_from(today)
    group by 1, 2, 3
  )
  update pulsebot.model_user_day_bits t set bits = t.bits & ~g.bits
  from g where t.day = g.day and t.dim_id = g.dim_id and t.block = g.block;

  with v as (
    select g.day, pulsebot.user_block(g.uid) as block, pulsebot.bits_of(pulsebot.user_bit(g.uid), 1) as bits
    from (select distinct day, user_id, uid from pg_temp.pulsebot_gone) g
    where not exists (
      select 1 from (
        select x.dim_id, x.n from pulsebot.model_user_days x where x.day = g.day and x.user_id = g.user_id
        union all
        select p.dim_id, p.dn from pg_temp.pulsebot_user_pending p where p.day = g.day and p.user_id = g.user_id
      ) k group by k.dim_id having sum(k.n) > 0)
    group by 1, 2
  )
  update pulsebot.user_day_bits t set bits = t.bits & ~v.bits
  from v where t.day = v.day and t.block = v.block;

  drop table pg_temp.pulsebot_gone, pg_temp.pulsebot_user_pending;
end
$function$;

revoke all on function pulsebot.fold_user_removals(date) from public;
