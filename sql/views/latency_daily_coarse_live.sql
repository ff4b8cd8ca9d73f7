-- The coarse daily histograms per provider × service type whole: the compacted coarse rollup ∪
-- the pending fine rows grouped by coarse bin.
create or replace view pulsebot.latency_daily_coarse_live as
select day, ps_id, cbin, sum(n) as n from (
  select day, ps_id, cbin, n from pulsebot.latency_daily_coarse
  union all
  select day, ps_id, pulsebot.latency_coarse(bin), n from pulsebot.latency_daily_pending
) c
group by 1, 2, 3;
