-- The fold builds bitmap blocks from the bits a batch adds, not from every key it names.
--
-- Why: most of a batch's (day, user, model) keys are today's users calling again, whose bits are
-- set already. set_bit copies its 4,096-bit block on every call, so building blocks from all
-- ~51,000 keys of a 100k-row batch cost tens of milliseconds for a few hundred new bits; a
-- get_bit on the stored block (no copy) tells which keys are new.

create or replace function pulsebot.fold_user_sets(today date) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
declare
  appended bigint;
begin
  insert into pulsebot.model_user_days_pending_batches (days, user_ids, dim_ids, dns)
  select array_agg(day), array_agg(user_id), array_agg(dim_id), array_agg(dn) from pg_temp.pulsebot_user_batch
  having count(*) > 0
  returning pg_catalog.cardinality(days) into appended;
  appended := coalesce(appended, 0);

  -- Only the fold's lock holder numbers users, so no insert can race this one.
  insert into pulsebot.user_numbers (user_id)
  select distinct b.user_id from pg_temp.pulsebot_user_batch b
  where b.dn > 0 and not exists (select 1 from pulsebot.user_numbers n where n.user_id = b.user_id);

  with k as materialized (
    select b.day, b.dim_id, pulsebot.user_block(n.uid) as block, pulsebot.user_bit(n.uid) as bit
    from pg_temp.pulsebot_user_batch b join pulsebot.user_numbers n on n.user_id = b.user_id
    where b.dn > 0
  ), days as (
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

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals(today);
  end if;
  return appended;
end
$$;

revoke execute on function pulsebot.fold_user_sets(date) from public;
