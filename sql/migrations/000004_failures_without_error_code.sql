-- Failures without an error code were filed under the code 'unknown', where they could not be
-- told from a real code of that name. They are now filed under '' (take_changes.sql). Rollups
-- that hold failures under 'unknown' are rebuilt from api_usage so both are counted where they
-- belong; a database without any keeps its rollups.
update pulsebot.rollup_state set needs_rebuild = true
where not needs_rebuild and exists (
  select 1
  from (select bucket, dim_id, failures as n from pulsebot.errors_15m where error_code = 'unknown'
        union all
        select bucket, dim_id, requests from pulsebot.pending_15m where error_code = 'unknown') f
  group by bucket, dim_id
  having sum(n) <> 0);
