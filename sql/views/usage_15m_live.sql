-- 15-minute rollup ∪ pending, in the rollups' columns. Readers always aggregate (sum) over keys,
-- so a key may appear more than once; keys that net to zero are filtered by the readers' HAVING.
create or replace view pulsebot.usage_15m_live as
select bucket, dim_id, requests, successes, cost_usd, input_tokens, output_tokens, images, video_seconds,
       latency_sum, latency_count, negative_cost_rows
from pulsebot.usage_15m
union all
select bucket, dim_id, requests, case when error_code is null then requests else 0 end, cost_usd, input_tokens,
       output_tokens, images, video_seconds, latency_sum, case when bin is not null then requests else 0 end,
       negative_cost_rows
from pulsebot.pending_15m;
