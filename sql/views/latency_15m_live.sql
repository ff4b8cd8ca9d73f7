-- The 15-minute latency histograms, rollup ∪ pending (readers sum over keys).
create or replace view pulsebot.latency_15m_live as
select bucket, dim_id, bin, n from pulsebot.latency_15m
union all
select bucket, dim_id, bin, requests from pulsebot.pending_15m where bin is not null;
