-- 15-minute rollup ∪ pending, in the rollups' columns. Readers always aggregate (sum) over keys,
-- so a key may appear more than once; keys that net to zero are filtered by the readers' HAVING.
-- A pending row's bin from 1,000,000 up counts a latency left out of the figures (latency_flaw_bin());
-- its rows of unknown outcome sit in the success group (error_code null) and are taken out of it.
create or replace view pulsebot.usage_15m_live as
select bucket, dim_id, requests, successes, cost_usd, input_tokens, output_tokens, images, video_seconds,
       latency_sum, latency_count, negative_cost_rows, null_cost_rows, nonfinite_cost_rows, null_success_rows,
       nonfinite_video_rows, negative_latency_rows, outlier_latency_rows, nonfinite_latency_rows
from pulsebot.usage_15m
union all
select bucket, dim_id, requests, case when error_code is null then requests else 0 end - null_success_rows, cost_usd,
       input_tokens, output_tokens, images, video_seconds, latency_sum,
       case when bin < 1000000 then requests else 0 end, negative_cost_rows, null_cost_rows, nonfinite_cost_rows,
       null_success_rows, nonfinite_video_rows, case when bin = 1000001 then requests else 0 end,
       case when bin = 1000002 then requests else 0 end, case when bin = 1000003 then requests else 0 end
from pulsebot.pending_15m;
