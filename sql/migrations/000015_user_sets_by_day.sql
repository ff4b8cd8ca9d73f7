-- fold_user_sets() settles the batch's user sets with fewer index probes: most of a fold's keys
-- belong to the batch's latest day (today), and the rows of that day (user_days) or with a latest
-- day that recent (model_user_recency) are read once by range and hash-joined away; only the
-- remaining keys (back-dated rows, users new today) are probed one by one. Same results; measured
-- at 10M rows, 100k changes: the fold 730 → 575 ms (median of 3, same batch, rolled back).

create or replace function pulsebot.fold_user_sets() returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  appended bigint;
  latest date;
begin
  select max(day) into latest from pg_temp.pulsebot_user_batch;
  with pend as (
    insert into pulsebot.model_user_days_pending (day, user_id, dim_id, dn)
    select day, user_id, dim_id, dn from pg_temp.pulsebot_user_batch
    returning 1
  ), gained as (
    -- A user without a day row had no calls that day, so any call now makes them active.
    insert into pulsebot.user_days (day, user_id)
    select k.day, k.user_id
    from (select distinct day, user_id from pg_temp.pulsebot_user_batch where dn > 0) k
    left join (select u.day, u.user_id from pulsebot.user_days u where u.day = latest) t on t.day = k.day and t.user_id = k.user_id
    where t.user_id is null
    on conflict do nothing
    returning day
  ), active as (
    insert into pulsebot.daily_active as a (day, users)
    select day, count(*) from gained group by 1
    on conflict (day) do update set users = a.users + excluded.users
  ), recency as (
    -- Pairs already seen that day or later are filtered by a plain probe first: ON CONFLICT would
    -- lock (write) every conflicting row. The statement triggers on model_user_recency see the
    -- inserts and the updates apart.
    insert into pulsebot.model_user_recency as r (dim_id, user_id, last_day)
    select l.dim_id, l.user_id, l.day
    from (select dim_id, user_id, max(day) as day from pg_temp.pulsebot_user_batch where dn > 0 group by 1, 2) l
    left join (select x.dim_id, x.user_id from pulsebot.model_user_recency x where x.last_day >= latest) t
      on t.dim_id = l.dim_id and t.user_id = l.user_id
    where t.user_id is null
      and not exists (select 1 from pulsebot.model_user_recency x
                      where x.dim_id = l.dim_id and x.user_id = l.user_id and x.last_day >= l.day)
    on conflict (dim_id, user_id) do update set last_day = excluded.last_day where r.last_day < excluded.last_day
  )
  select count(*) into appended from pend;

  if exists (select 1 from pg_temp.pulsebot_user_batch where dn < 0) then
    perform pulsebot.fold_user_removals();
  end if;
  return appended;
end
$$;

