-- Numbers a batch's new users and sets the bits its positive (day, user, model) deltas add, from
-- a pending batch row's arrays (anyarray: api_usage.user_id's type). Blocks are read first
-- (get_bit) and written only when they gain a bit. Custom plans size unnest() at the arrays'
-- length (hash joins, not a probe per key); enable_sort off groups the bits by hashing.
CREATE OR REPLACE FUNCTION pulsebot.fold_user_bits(days date[], user_ids anyarray, dim_ids integer[], dns bigint[], today date)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_sort TO 'off'
AS $function$
begin
  with keyed as materialized (
    select k.day, k.user_id, k.dim_id, n.uid
    from unnest(days, user_ids, dim_ids, dns) as k(day, user_id, dim_id, dn)
    left join pulsebot.user_numbers n on n.user_id = k.user_id
    where k.dn > 0
  ), numbered as (
    insert into pulsebot.user_numbers (user_id)
    select distinct keyed.user_id from keyed where keyed.uid is null
    returning user_id, uid
  ), k as materialized (
    select keyed.day, keyed.dim_id, pulsebot.user_block(coalesce(keyed.uid, nw.uid)) as block,
           pulsebot.user_bit(coalesce(keyed.uid, nw.uid)) as bit
    from keyed left join numbered nw on keyed.uid is null and nw.user_id = keyed.user_id
  ), day_bits as (
    insert into pulsebot.user_day_bits as t (day, block, bits)
    select k.day, k.block, pulsebot.bits_of(k.bit, 1)
    from k left join pulsebot.user_day_bits x on x.day = k.day and x.block = k.block
    where x.bits is null or pg_catalog.get_bit(x.bits, k.bit) = 0
    group by 1, 2
    on conflict (day, block) do update set bits = t.bits | excluded.bits
  )
  insert into pulsebot.model_user_day_bits as t (day, dim_id, block, bits)
  select k.day, k.dim_id, k.block, pulsebot.bits_of(k.bit, 1)
  from k left join pulsebot.model_user_day_bits x on x.day = k.day and x.dim_id = k.dim_id and x.block = k.block
  where k.day >= pulsebot.model_bits_from(today) and (x.bits is null or pg_catalog.get_bit(x.bits, k.bit) = 0)
  group by 1, 2, 3
  on conflict (day, dim_id, block) do update set bits = t.bits | excluded.bits;
end
$function$;

revoke all on function pulsebot.fold_user_bits(date[],anyarray,integer[],bigint[],date) from public;
