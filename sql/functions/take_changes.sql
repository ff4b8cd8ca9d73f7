-- Takes the change rows this snapshot sees and, in the same statement, appends their measures to
-- pending_15m (kept in the session's batch for merge_daily()) and their (day, user, model) deltas
-- to the session's user batch; rows of open transactions stay for the next fold. Only rows whose
-- key is in the dictionary are taken; the others wait for register_dims().
-- Odd rows are counted per kind and their odd values kept out of the sums: a non-finite cost or
-- video seconds by the filters, an unusable latency by its pseudo-bin (latency_flaw_bin(), whose
-- latency sum is stored as 0); docs/data-quality.md. A failure without an error code is filed
-- under '' (never a real code's name, such as 'unknown').
CREATE OR REPLACE FUNCTION pulsebot.take_changes(tz text, keep_from date, OUT taken bigint, OUT appended bigint)
 RETURNS record
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  span record := pulsebot.uniform_local_day(tz, now());
begin
  with gone as (
    delete from pulsebot.usage_changes c
    where c.dim_key in (select m.key from pulsebot.usage_dims m)
    returning 1
  ), users as (
    insert into pg_temp.pulsebot_user_batch (day, user_id, dim_id, dn)
    select g.day, g.user_id, m.id, g.dn
    from (
      select case when c.created_at >= span.starts and c.created_at < span.ends then span.day
                  else (c.created_at at time zone tz)::date end as day,
             c.user_id, c.dim_key, sum(c.sign) as dn
      from pulsebot.usage_changes c
      where c.user_id is not null and c.created_at is not null and c.dim_key in (select m.key from pulsebot.usage_dims m)
      group by 1, 2, 3 having sum(c.sign) <> 0
    ) g
    join pulsebot.usage_dims m on m.key = g.dim_key
    where g.day >= keep_from
  ), measures as (
    insert into pulsebot.pending_15m (bucket, dim_id, bin, error_code, requests, cost_usd, input_tokens, output_tokens, images,
                                      video_seconds, latency_sum, negative_cost_rows, null_cost_rows, nonfinite_cost_rows,
                                      null_success_rows, nonfinite_video_rows)
    select g.bucket, m.id, g.bin, g.error_code, g.requests,
           coalesce(g.cost_micros, 0) * 0.000001 + coalesce(g.cost_numeric, 0),
           coalesce(g.input_tokens, 0), coalesce(g.output_tokens, 0), coalesce(g.images, 0),
           coalesce(g.video_micros, 0) * 0.000001 + coalesce(g.video_numeric, 0),
           case when g.bin < 1000000 then g.latency_sum else 0 end, coalesce(g.negative_cost_rows, 0),
           coalesce(g.null_cost_rows, 0), coalesce(g.nonfinite_cost_rows, 0), coalesce(g.null_success_rows, 0),
           coalesce(g.nonfinite_video_rows, 0)
    from (
      select date_bin('15 minutes', c.created_at, timestamptz '2000-01-01 00:00:00+00') as bucket, c.dim_key,
             coalesce(c.bin, pulsebot.latency_bin(c.latency_ms), pulsebot.latency_flaw_bin(c.latency_ms)) as bin,
             case when c.success is not false then null else coalesce(c.error_code, '') end as error_code,
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
      from pulsebot.usage_changes c
      where c.created_at is not null and c.dim_key in (select m.key from pulsebot.usage_dims m)
      group by 1, 2, 3, 4
    ) g
    join pulsebot.usage_dims m on m.key = g.dim_key
    returning *
  ), kept as (
    insert into pg_temp.pulsebot_batch_15m select * from measures
  )
  select (select count(*) from gone), (select count(*) from measures) into taken, appended;
end
$function$;

revoke all on function pulsebot.take_changes(text,date) from public;
