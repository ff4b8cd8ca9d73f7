-- The coarse daily histograms over all calls whole (as latency_daily_coarse_live).
create or replace view pulsebot.latency_daily_total_coarse_live as
select day, cbin, sum(n) as n from (
  select day, cbin, n from pulsebot.latency_daily_total_coarse
  union all
  select day, pulsebot.latency_coarse(bin), n from pulsebot.latency_daily_total_pending
) c
group by 1, 2;
