-- Failures per 15 minutes and error code, rollup ∪ pending (readers sum over keys).
create or replace view pulsebot.errors_15m_live as
select bucket, dim_id, error_code, failures from pulsebot.errors_15m
union all
select bucket, dim_id, error_code, requests from pulsebot.pending_15m where error_code is not null;
