-- Merges the pending daily latency histograms into latency_daily and latency_daily_total and adds
-- their coarse bins to the coarse tables, which hold compacted histograms only; bins that reach
-- zero go. Its callers (compact_rollups(), compact_daily_histograms(), fold_changes()) hold the
-- fold's lock. Returns the keys merged and resets rollup_state.histogram_rows.
CREATE OR REPLACE FUNCTION pulsebot.merge_pending_daily()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET random_page_cost TO '1.1'
AS $function$
declare
  merged bigint;
  total_rows bigint;
begin
  create temp table pulsebot_compact_hist on commit drop as
  with taken as (delete from pulsebot.latency_daily_pending returning *)
  select day, ps_id, bin, sum(n) as n from taken group by 1, 2, 3;
  get diagnostics merged = row_count;
  with d as (
    select * from pg_temp.pulsebot_compact_hist where n <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_daily t set n = t.n + d.n
    from d where t.day = d.day and t.ps_id = d.ps_id and t.bin = d.bin
    returning t.day, t.ps_id, t.bin
  ), ins as (
    insert into pulsebot.latency_daily
    select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.ps_id = d.ps_id and upd.bin = d.bin)
  )
  insert into pulsebot.latency_daily_coarse as t (day, ps_id, cbin, n)
  select day, ps_id, pulsebot.latency_coarse(bin), sum(n) from pg_temp.pulsebot_compact_hist
  group by 1, 2, 3 having sum(n) <> 0
  on conflict (day, ps_id, cbin) do update set n = t.n + excluded.n;
  if exists (select 1 from pg_temp.pulsebot_compact_hist where n < 0) then
    delete from pulsebot.latency_daily t using pg_temp.pulsebot_compact_hist k
    where k.n < 0 and t.day = k.day and t.ps_id = k.ps_id and t.bin = k.bin and t.n = 0;
    delete from pulsebot.latency_daily_coarse t using (select distinct day, ps_id, pulsebot.latency_coarse(bin) as cbin from pg_temp.pulsebot_compact_hist where n < 0) k
    where t.day = k.day and t.ps_id = k.ps_id and t.cbin = k.cbin and t.n = 0;
  end if;

  create temp table pulsebot_compact_total on commit drop as
  with taken as (delete from pulsebot.latency_daily_total_pending returning *)
  select day, bin, sum(n) as n from taken group by 1, 2;
  get diagnostics total_rows = row_count;
  with d as (
    select * from pg_temp.pulsebot_compact_total where n <> 0 order by 1, 2
  ), upd as (
    update pulsebot.latency_daily_total t set n = t.n + d.n
    from d where t.day = d.day and t.bin = d.bin
    returning t.day, t.bin
  ), ins as (
    insert into pulsebot.latency_daily_total
    select d.* from d where not exists (select 1 from upd where upd.day = d.day and upd.bin = d.bin)
  )
  insert into pulsebot.latency_daily_total_coarse as t (day, cbin, n)
  select day, pulsebot.latency_coarse(bin), sum(n) from pg_temp.pulsebot_compact_total
  group by 1, 2 having sum(n) <> 0
  on conflict (day, cbin) do update set n = t.n + excluded.n;
  if exists (select 1 from pg_temp.pulsebot_compact_total where n < 0) then
    delete from pulsebot.latency_daily_total t using pg_temp.pulsebot_compact_total k
    where k.n < 0 and t.day = k.day and t.bin = k.bin and t.n = 0;
    delete from pulsebot.latency_daily_total_coarse t using (select distinct day, pulsebot.latency_coarse(bin) as cbin from pg_temp.pulsebot_compact_total where n < 0) k
    where t.day = k.day and t.cbin = k.cbin and t.n = 0;
  end if;

  drop table pg_temp.pulsebot_compact_hist, pg_temp.pulsebot_compact_total;
  update pulsebot.rollup_state set histogram_rows = 0;
  return merged + total_rows;
end
$function$;

revoke all on function pulsebot.merge_pending_daily() from public;
