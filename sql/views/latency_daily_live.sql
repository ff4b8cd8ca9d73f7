-- The daily latency histograms per provider × service type, rollup ∪ pending.
create or replace view pulsebot.latency_daily_live as
select day, ps_id, bin, n from pulsebot.latency_daily
union all
select day, ps_id, bin, n from pulsebot.latency_daily_pending;
