-- Counters of the rows that are not what the api_usage contract promises (docs/data-quality.md):
-- null or non-finite cost, unknown outcome, non-finite video seconds, and latency that is negative,
-- over 24 hours or non-finite. The 15-minute and daily rollups count each kind; pending_15m counts
-- the cost, outcome and video kinds, and files odd latencies under pseudo-bins above 1,000,000
-- (sql/functions/latency_flaw_bin.sql), so the fold needs no aggregate for them.
alter table pulsebot.usage_15m
  add column null_cost_rows bigint not null default 0,
  add column nonfinite_cost_rows bigint not null default 0,
  add column null_success_rows bigint not null default 0,
  add column nonfinite_video_rows bigint not null default 0,
  add column negative_latency_rows bigint not null default 0,
  add column outlier_latency_rows bigint not null default 0,
  add column nonfinite_latency_rows bigint not null default 0;

alter table pulsebot.usage_daily
  add column null_cost_rows bigint not null default 0,
  add column nonfinite_cost_rows bigint not null default 0,
  add column null_success_rows bigint not null default 0,
  add column nonfinite_video_rows bigint not null default 0,
  add column negative_latency_rows bigint not null default 0,
  add column outlier_latency_rows bigint not null default 0,
  add column nonfinite_latency_rows bigint not null default 0;

alter table pulsebot.pending_15m
  add column null_cost_rows bigint not null default 0,
  add column nonfinite_cost_rows bigint not null default 0,
  add column null_success_rows bigint not null default 0,
  add column nonfinite_video_rows bigint not null default 0;

-- Rollups folded before these rules may hold what the new rules leave out: a NaN cost summed into
-- a total (it stays NaN even after its row is deleted), a latency over 24 hours or below zero in a
-- histogram, an unknown outcome counted as a failure, an empty model name as a model of its own.
-- Rebuild them from api_usage when any such row or sum exists; a clean installation keeps its
-- rollups. The tests are spelt out here: a migration calls no current definition. NaN compares
-- greater than every number, for numeric and float8 alike, so `<=` bounds catch it.
update pulsebot.rollup_state set needs_rebuild = true
where not needs_rebuild and (
  exists (
    select 1 from public.api_usage a
    where a.cost_usd is null or pg_catalog.scale(a.cost_usd::pg_catalog.numeric) is null
       or a.success is null
       or (a.video_seconds is not null and pg_catalog.scale(a.video_seconds::pg_catalog.numeric) is null)
       or not (a.latency_ms >= 0 and a.latency_ms <= 86400000)
       or a.provider is null or a.provider::text = '' or a.service_type is null or a.service_type::text = ''
       or a.model is null or a.model::text = '')
  or exists (
    select 1 from pulsebot.usage_daily u
    where pg_catalog.scale(u.cost_usd) is null or pg_catalog.scale(u.video_seconds) is null
       or u.latency_sum in ('NaN', 'Infinity', '-Infinity'))
  or exists (select 1 from pulsebot.usage_dims d where d.provider = '' or d.service_type = '' or d.model = ''));
