-- The 15-minute latency histograms, rollup ∪ pending (readers sum over keys). Pending bins from
-- 1,000,000 up count latencies left out of the figures (latency_flaw_bin()): no histogram bins.
create or replace view pulsebot.latency_15m_live as
select bucket, dim_id, bin, n from pulsebot.latency_15m
union all
select bucket, dim_id, bin, requests from pulsebot.pending_15m where bin < 1000000;
