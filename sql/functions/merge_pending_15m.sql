-- The 15-minute rollups from the pending rows compact_rollups() took: UPDATE … FROM, then INSERT …
-- WHERE NOT EXISTS per table (only the fold's lock holder writes them, so no insert can race). A
-- delta netting to zero on a missing key is not inserted; a key that reaches zero goes.
CREATE OR REPLACE FUNCTION pulsebot.merge_pending_15m()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET random_page_cost TO '1.1'
AS $function$
begin
  with d as (
    -- As merge_daily() does: unknown outcomes out of the successes, bins from 1,000,000 up counted.
    select bucket, dim_id, sum(requests) as requests,
           sum(case when error_code is null then requests else 0 end) - sum(null_success_rows) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin < 1000000 then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows,
           sum(null_cost_rows) as null_cost_rows, sum(nonfinite_cost_rows) as nonfinite_cost_rows,
           sum(null_success_rows) as null_success_rows, sum(nonfinite_video_rows) as nonfinite_video_rows,
           sum(case when bin = 1000001 then requests else 0 end) as negative_latency_rows,
           sum(case when bin = 1000002 then requests else 0 end) as outlier_latency_rows,
           sum(case when bin = 1000003 then requests else 0 end) as nonfinite_latency_rows
    from pg_temp.pulsebot_compact group by 1, 2 order by 1, 2
  ), upd as (
    update pulsebot.usage_15m t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows, null_cost_rows = t.null_cost_rows + d.null_cost_rows,
      nonfinite_cost_rows = t.nonfinite_cost_rows + d.nonfinite_cost_rows,
      null_success_rows = t.null_success_rows + d.null_success_rows,
      nonfinite_video_rows = t.nonfinite_video_rows + d.nonfinite_video_rows,
      negative_latency_rows = t.negative_latency_rows + d.negative_latency_rows,
      outlier_latency_rows = t.outlier_latency_rows + d.outlier_latency_rows,
      nonfinite_latency_rows = t.nonfinite_latency_rows + d.nonfinite_latency_rows
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id
    returning t.bucket, t.dim_id, t.requests
  )
  insert into pulsebot.usage_15m (bucket, dim_id, requests, successes, cost_usd, input_tokens, output_tokens, images,
                                  video_seconds, latency_sum, latency_count, negative_cost_rows, null_cost_rows,
                                  nonfinite_cost_rows, null_success_rows, nonfinite_video_rows, negative_latency_rows,
                                  outlier_latency_rows, nonfinite_latency_rows)
  select d.* from d
  where d.requests <> 0 and not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id);
  with d as (
    select bucket, dim_id, error_code, sum(requests) as failures
    from pg_temp.pulsebot_compact where error_code is not null group by 1, 2, 3 having sum(requests) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.errors_15m t set failures = t.failures + d.failures
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.error_code = d.error_code
    returning t.bucket, t.dim_id, t.error_code, t.failures
  )
  insert into pulsebot.errors_15m
  select d.* from d
  where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.error_code = d.error_code);
  with d as (
    select bucket, dim_id, bin, sum(requests) as n
    from pg_temp.pulsebot_compact where bin < 1000000 group by 1, 2, 3 having sum(requests) <> 0 order by 1, 2, 3
  ), upd as (
    update pulsebot.latency_15m t set n = t.n + d.n
    from d where t.bucket = d.bucket and t.dim_id = d.dim_id and t.bin = d.bin
    returning t.bucket, t.dim_id, t.bin, t.n
  )
  insert into pulsebot.latency_15m
  select d.* from d where not exists (select 1 from upd where upd.bucket = d.bucket and upd.dim_id = d.dim_id and upd.bin = d.bin);
  -- A statement cannot delete a row it updated itself: keys that reached zero go here.
  delete from pulsebot.usage_15m t using (select distinct bucket, dim_id from pg_temp.pulsebot_compact where requests < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.requests = 0;
  delete from pulsebot.errors_15m t using (select distinct bucket, dim_id, error_code from pg_temp.pulsebot_compact where requests < 0) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.error_code = k.error_code and t.failures = 0;
  delete from pulsebot.latency_15m t using (select distinct bucket, dim_id, bin from pg_temp.pulsebot_compact where requests < 0 and bin < 1000000) k
  where t.bucket = k.bucket and t.dim_id = k.dim_id and t.bin = k.bin and t.n = 0;
end
$function$;

revoke all on function pulsebot.merge_pending_15m() from public;
