-- The daily latency histograms over all calls, rollup ∪ pending.
create or replace view pulsebot.latency_daily_total_live as
select day, bin, n from pulsebot.latency_daily_total
union all
select day, bin, n from pulsebot.latency_daily_total_pending;
