-- The measures part of a detached batch: aggregates the detached rows, appends the groups to
-- pending_15m and keeps them in the session's batch for merge_daily(), as take_changes() does for
-- the log. A group whose key is not in the dictionary raises SQLSTATE PB001, which undoes the
-- inserts: take_taken_part() then registers it and takes again.
-- Odd rows are counted per kind and their odd values kept out of the sums: a non-finite cost or
-- video seconds by the filters, an unusable latency by its pseudo-bin (latency_flaw_bin(), whose
-- latency sum is stored as 0); docs/data-quality.md.
CREATE OR REPLACE FUNCTION pulsebot.take_taken_measures(tz text, OUT taken bigint, OUT appended bigint)
 RETURNS record
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  missing bigint;
begin
  with g as (
    select date_bin('15 minutes', c.created_at, timestamptz '2000-01-01 00:00:00+00') as bucket, c.dim_key,
           coalesce(c.bin, pulsebot.latency_bin(c.latency_ms), pulsebot.latency_flaw_bin(c.latency_ms)) as bin,
           case when c.success is not false then null else coalesce(c.error_code, '') end as error_code,
           count(*) as change_rows,
           sum(c.sign) as requests,
           pulsebot.sum_int8(c.sign * c.cost_micros) as cost_micros,
           sum(c.sign * c.cost_usd) filter (where c.cost_micros is null and pulsebot.finite(c.cost_usd) is not null) as cost_numeric,
           pulsebot.sum_int8(c.sign * c.input_tokens) as input_tokens,
           pulsebot.sum_int8(c.sign * c.output_tokens) as output_tokens,
           pulsebot.sum_int8(c.sign * c.images) as images,
           pulsebot.sum_int8(c.sign * c.video_micros) as video_micros,
           sum(c.sign * c.video_seconds) filter (where c.video_micros is null and pulsebot.finite(c.video_seconds) is not null) as video_numeric,
           sum(c.sign * c.latency_ms) as latency_sum,
           sum(c.sign) filter (where c.cost_micros < 0 or (c.cost_micros is null and pulsebot.finite(c.cost_usd) < 0)) as negative_cost_rows,
           sum(c.sign) filter (where c.cost_usd is null) as null_cost_rows,
           sum(c.sign) filter (where c.cost_micros is null and c.cost_usd is not null and pulsebot.finite(c.cost_usd) is null) as nonfinite_cost_rows,
           sum(c.sign) filter (where c.success is null) as null_success_rows,
           sum(c.sign) filter (where c.video_micros is null and c.video_seconds is not null and pulsebot.finite(c.video_seconds) is null) as nonfinite_video_rows
    from pulsebot.usage_changes_taken c
    where c.created_at is not null
    group by 1, 2, 3, 4
  ), j as (
    select g.*, m.id as dim_id from g left join pulsebot.usage_dims m on m.key = g.dim_key
  ), measures as (
    insert into pulsebot.pending_15m (bucket, dim_id, bin, error_code, requests, cost_usd, input_tokens, output_tokens, images,
                                      video_seconds, latency_sum, negative_cost_rows, null_cost_rows, nonfinite_cost_rows,
                                      null_success_rows, nonfinite_video_rows)
    select j.bucket, j.dim_id, j.bin, j.error_code, j.requests,
           coalesce(j.cost_micros, 0) * 0.000001 + coalesce(j.cost_numeric, 0),
           coalesce(j.input_tokens, 0), coalesce(j.output_tokens, 0), coalesce(j.images, 0),
           coalesce(j.video_micros, 0) * 0.000001 + coalesce(j.video_numeric, 0),
           case when j.bin < 1000000 then j.latency_sum else 0 end, coalesce(j.negative_cost_rows, 0),
           coalesce(j.null_cost_rows, 0), coalesce(j.nonfinite_cost_rows, 0), coalesce(j.null_success_rows, 0),
           coalesce(j.nonfinite_video_rows, 0)
    from j where j.dim_id is not null
    returning *
  ), kept as (
    insert into pg_temp.pulsebot_batch_15m select * from measures
  )
  select (select coalesce(sum(change_rows), 0) from j), (select count(*) from measures), (select count(*) from j where j.dim_id is null)
  into taken, appended, missing;
  if missing > 0 then
    raise sqlstate 'PB001' using message = format('%s groups of detached change rows name unregistered provider/model keys', missing);
  end if;
end
$function$;

revoke all on function pulsebot.take_taken_measures(text) from public;
