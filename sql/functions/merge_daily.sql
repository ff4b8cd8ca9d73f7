-- Merges the day totals of the batch's 15-minute groups into usage_daily in place and appends the
-- batch's daily latency histograms to pending. A UTC quarter hour lies inside one local day of
-- every real zone, so the days are exact; the views read usage_daily on every refresh, so it is
-- kept merged. Returns the histogram rows appended (fold_changes() counts them).
CREATE OR REPLACE FUNCTION pulsebot.merge_daily(tz text)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET random_page_cost TO '1.1'
AS $function$
declare
  appended bigint;
begin
  with b as materialized (
    select (b.bucket at time zone tz)::date as day, m.ps_id, b.dim_id, b.bin, b.error_code, b.requests, b.cost_usd,
           b.input_tokens, b.output_tokens, b.images, b.video_seconds, b.latency_sum, b.negative_cost_rows,
           b.null_cost_rows, b.nonfinite_cost_rows, b.null_success_rows, b.nonfinite_video_rows
    from pg_temp.pulsebot_batch_15m b join pulsebot.usage_dims m on m.id = b.dim_id
  ), d as (
    -- Rows of unknown outcome sit in the success group (error_code null) and are taken out of it;
    -- bins from 1,000,000 up count latencies left out of the figures (latency_flaw_bin()).
    select day, dim_id, sum(requests) as requests,
           sum(case when error_code is null then requests else 0 end) - sum(null_success_rows) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin < 1000000 then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows,
           sum(null_cost_rows) as null_cost_rows, sum(nonfinite_cost_rows) as nonfinite_cost_rows,
           sum(null_success_rows) as null_success_rows, sum(nonfinite_video_rows) as nonfinite_video_rows,
           sum(case when bin = 1000001 then requests else 0 end) as negative_latency_rows,
           sum(case when bin = 1000002 then requests else 0 end) as outlier_latency_rows,
           sum(case when bin = 1000003 then requests else 0 end) as nonfinite_latency_rows
    from b group by 1, 2
  ), upd as (
    update pulsebot.usage_daily t set
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
    from d where t.day = d.day and t.dim_id = d.dim_id
    returning t.day, t.dim_id
  ), ins as (
    insert into pulsebot.usage_daily (day, dim_id, requests, successes, cost_usd, input_tokens, output_tokens, images,
                                      video_seconds, latency_sum, latency_count, negative_cost_rows, null_cost_rows,
                                      nonfinite_cost_rows, null_success_rows, nonfinite_video_rows, negative_latency_rows,
                                      outlier_latency_rows, nonfinite_latency_rows)
    select d.* from d
    where d.requests <> 0 and not exists (select 1 from upd where upd.day = d.day and upd.dim_id = d.dim_id)
  ), hist as (
    insert into pulsebot.latency_daily_pending (day, ps_id, bin, n)
    select day, ps_id, bin, sum(requests) from b where bin < 1000000 group by 1, 2, 3 having sum(requests) <> 0
    returning 1
  ), total as (
    insert into pulsebot.latency_daily_total_pending (day, bin, n)
    select day, bin, sum(requests) from b where bin < 1000000 group by 1, 2 having sum(requests) <> 0
    returning 1
  )
  select (select count(*) from hist) + (select count(*) from total) into appended;

  -- A statement cannot delete a row it updated itself: days and bins that reached zero go here.
  if exists (select 1 from pg_temp.pulsebot_batch_15m where requests < 0) then
    delete from pulsebot.usage_daily t
    using (select distinct (b.bucket at time zone tz)::date as day, b.dim_id from pg_temp.pulsebot_batch_15m b where b.requests < 0) k
    where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
  end if;
  return appended;
end
$function$;

revoke all on function pulsebot.merge_daily(text) from public;
