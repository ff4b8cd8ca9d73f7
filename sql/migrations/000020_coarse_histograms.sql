-- The views read the 95th percentile from two levels of histogram: per day a coarse histogram
-- (16 fine bins a coarse bin, ~30 rows a day) finds the one or two coarse bins holding the ranks
-- the percentile interpolates between, and only their fine bins are read. Same result as walking
-- every fine bin (same ranks, same bins, same interpolation), within the same ≤ 1% bound.
--
-- Why: mv_daily_metrics and mv_provider_performance aggregated every fine bin of their window,
-- ~58,000 and ~61,000 rows at 10M rows of usage (90 days × ~470 bins, 30 days × 7 provider/service
-- pairs × ~250 bins): ~100 of the ~110 ms the three views took per refresh.
--
-- The coarse counts are merged in place by the fold (a few thousand keys at most; no pending
-- deltas to compact) and emptied whenever their fine histogram is (a TRUNCATE trigger, so a
-- rebuild clears both).

create function pulsebot.latency_coarse(bin integer) returns integer
  language sql immutable parallel safe as $$ select bin >> 4 $$;

create table pulsebot.latency_daily_coarse (
  day   date not null,
  ps_id integer not null,
  cbin  integer not null,
  n     bigint not null,
  primary key (day, ps_id, cbin)
) with (fillfactor = 50);

create table pulsebot.latency_daily_total_coarse (
  day  date not null,
  cbin integer not null,
  n    bigint not null,
  primary key (day, cbin)
) with (fillfactor = 50);

insert into pulsebot.latency_daily_coarse
select day, ps_id, pulsebot.latency_coarse(bin), sum(n) from pulsebot.latency_daily_live group by 1, 2, 3 having sum(n) <> 0;
insert into pulsebot.latency_daily_total_coarse
select day, pulsebot.latency_coarse(bin), sum(n) from pulsebot.latency_daily_total_live group by 1, 2 having sum(n) <> 0;

create function pulsebot.clear_coarse_histograms() returns trigger
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_table_name = 'latency_daily' then
    truncate pulsebot.latency_daily_coarse;
  else
    truncate pulsebot.latency_daily_total_coarse;
  end if;
  return null;
end
$$;

create trigger latency_daily_clears_coarse after truncate on pulsebot.latency_daily
  for each statement execute function pulsebot.clear_coarse_histograms();
create trigger latency_daily_total_clears_coarse after truncate on pulsebot.latency_daily_total
  for each statement execute function pulsebot.clear_coarse_histograms();

-- The quantile walk of hist_quantile() over part of a histogram: its bins (sorted) start after
-- `before` counts of a histogram of `total` counts.
create function pulsebot.hist_quantile_after(bins integer[], counts bigint[], before numeric, total numeric, q double precision)
  returns double precision
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  cum bigint := before;
  h double precision;
  lo bigint;
  v_lo double precision;
  v_hi double precision;
  i integer;
begin
  if bins is null or total is null or total <= 0 then
    return null;
  end if;
  h := q * (total::bigint - 1);
  lo := floor(h)::bigint;
  for i in 1 .. coalesce(array_length(counts, 1), 0) loop
    cum := cum + counts[i];
    if v_lo is null and cum > lo then
      v_lo := pulsebot.latency_bin_value(bins[i]);
    end if;
    if cum > lo + 1 then
      v_hi := pulsebot.latency_bin_value(bins[i]);
      exit;
    end if;
  end loop;
  return v_lo + (h - lo) * (coalesce(v_hi, v_lo) - v_lo);
end
$$;

-- hist_quantile() (000006) is the same walk over a whole histogram: one walk to keep in step.
create or replace function pulsebot.hist_quantile(bins integer[], counts bigint[], q double precision) returns double precision
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select pulsebot.hist_quantile_after(bins, counts, 0, (select sum(c) from unnest(counts) as c), q)
$$;

-- As in 000016, plus the coarse counts.
create or replace function pulsebot.merge_daily(tz text) returns bigint
  language plpgsql set search_path = pg_catalog, pg_temp set random_page_cost = 1.1
as $$
declare
  appended bigint;
begin
  with b as materialized (
    select (b.bucket at time zone tz)::date as day, m.ps_id, b.dim_id, b.bin, b.error_code, b.requests, b.cost_usd,
           b.input_tokens, b.output_tokens, b.images, b.video_seconds, b.latency_sum, b.negative_cost_rows
    from pg_temp.pulsebot_batch_15m b join pulsebot.usage_dims m on m.id = b.dim_id
  ), d as (
    select day, dim_id, sum(requests) as requests, sum(case when error_code is null then requests else 0 end) as successes,
           sum(cost_usd) as cost_usd, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(images) as images,
           sum(video_seconds) as video_seconds, sum(latency_sum) as latency_sum,
           sum(case when bin is not null then requests else 0 end) as latency_count, sum(negative_cost_rows) as negative_cost_rows
    from b group by 1, 2
  ), upd as (
    update pulsebot.usage_daily t set
      requests = t.requests + d.requests, successes = t.successes + d.successes, cost_usd = t.cost_usd + d.cost_usd,
      input_tokens = t.input_tokens + d.input_tokens, output_tokens = t.output_tokens + d.output_tokens,
      images = t.images + d.images, video_seconds = t.video_seconds + d.video_seconds,
      latency_sum = t.latency_sum + d.latency_sum, latency_count = t.latency_count + d.latency_count,
      negative_cost_rows = t.negative_cost_rows + d.negative_cost_rows
    from d where t.day = d.day and t.dim_id = d.dim_id
    returning t.day, t.dim_id
  ), ins as (
    insert into pulsebot.usage_daily
    select d.* from d
    where d.requests <> 0 and not exists (select 1 from upd where upd.day = d.day and upd.dim_id = d.dim_id)
  ), hist as (
    insert into pulsebot.latency_daily_pending (day, ps_id, bin, n)
    select day, ps_id, bin, sum(requests) from b where bin is not null group by 1, 2, 3 having sum(requests) <> 0
    returning 1
  ), total as (
    insert into pulsebot.latency_daily_total_pending (day, bin, n)
    select day, bin, sum(requests) from b where bin is not null group by 1, 2 having sum(requests) <> 0
    returning 1
  ), coarse as (
    insert into pulsebot.latency_daily_coarse as t (day, ps_id, cbin, n)
    select day, ps_id, pulsebot.latency_coarse(bin), sum(requests) from b where bin is not null
    group by 1, 2, 3 having sum(requests) <> 0
    on conflict (day, ps_id, cbin) do update set n = t.n + excluded.n
  ), coarse_total as (
    insert into pulsebot.latency_daily_total_coarse as t (day, cbin, n)
    select day, pulsebot.latency_coarse(bin), sum(requests) from b where bin is not null
    group by 1, 2 having sum(requests) <> 0
    on conflict (day, cbin) do update set n = t.n + excluded.n
  )
  select (select count(*) from hist) + (select count(*) from total) into appended;

  -- A statement cannot delete a row it updated itself: days and bins that reached zero go here.
  if exists (select 1 from pg_temp.pulsebot_batch_15m where requests < 0) then
    delete from pulsebot.usage_daily t
    using (select distinct (b.bucket at time zone tz)::date as day, b.dim_id from pg_temp.pulsebot_batch_15m b where b.requests < 0) k
    where t.day = k.day and t.dim_id = k.dim_id and t.requests = 0;
    delete from pulsebot.latency_daily_coarse where n = 0;
    delete from pulsebot.latency_daily_total_coarse where n = 0;
  end if;
  return appended;
end
$$;

revoke execute on function pulsebot.merge_daily(text) from public;

create temporary table pulsebot_saved_acl (view_name text primary key, acl aclitem[]) on commit drop;
insert into pulsebot_saved_acl
select v, pulsebot.drop_dashboard_view(v)
from unnest(array['mv_daily_metrics', 'mv_provider_performance']) as v;

-- As in 000016 (same columns, same meaning); the p95 from the two levels. A coarse bin's rows
-- are found by range (bin >> 4 = c ⇔ 16c ≤ bin ≤ 16c + 15), through the rollups' primary keys;
-- the pending deltas (one batch: compacted after every refresh) are scanned.
create materialized view public.mv_daily_metrics as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as (
  select (b.today - g)::date as date from bounds b, generate_series(0, 89) as g
),
totals as (
  select u.day, sum(u.requests) as requests, sum(u.successes) as successes, sum(u.cost_usd) as cost_usd,
         sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count,
         sum(u.input_tokens + u.output_tokens) as tokens, sum(u.images) as images, sum(u.video_seconds) as video_seconds
  from pulsebot.usage_daily u cross join bounds b
  where u.day between b.today - 89 and b.today
  group by u.day
),
coarse as (
  select c.day, c.cbin, c.n,
         sum(c.n) over (partition by c.day order by c.cbin) - c.n as before,
         sum(c.n) over (partition by c.day) as total
  from pulsebot.latency_daily_total_coarse c cross join bounds b
  where c.day between b.today - 89 and b.today and c.n > 0
),
-- The coarse bins holding rank ⌊0.95 (total − 1)⌋ or the rank after it, as hist_quantile() counts.
picked as materialized (
  select day, cbin, before, total from coarse
  where before <= floor(0.95::float8 * (total::float8 - 1)) + 1 and before + n > floor(0.95::float8 * (total::float8 - 1))
),
fine as (
  select f.day, f.bin, sum(f.n::float8)::bigint as n from (
    select p.day, l.bin, l.n from picked p
    join pulsebot.latency_daily_total l on l.day = p.day and l.bin between p.cbin * 16 and p.cbin * 16 + 15
    union all
    select p.day, l.bin, l.n from picked p
    join pulsebot.latency_daily_total_pending l on l.day = p.day and l.bin between p.cbin * 16 and p.cbin * 16 + 15
  ) f
  group by 1, 2
  having sum(f.n::float8) > 0
),
p95 as (
  select f.day, pulsebot.hist_quantile_after(array_agg(f.bin order by f.bin), array_agg(f.n order by f.bin), s.before, s.total, 0.95) as p95
  from fine f join (select day, min(before) as before, min(total) as total from picked group by 1) s on s.day = f.day
  group by f.day, s.before, s.total
),
active as (
  select u.day, sum(pg_catalog.bit_count(u.bits)) as users
  from pulsebot.user_day_bits u cross join bounds b
  where u.day between b.today - 89 and b.today
  group by 1
)
select d.date,
       coalesce(a.users, 0)::bigint as active_users,
       coalesce(t.requests, 0)::bigint as total_requests,
       coalesce(t.successes, 0)::bigint as successful_requests,
       round(100.0 * t.successes / nullif(t.requests, 0), 2) as success_rate,
       round(coalesce(t.cost_usd, 0), 6) as total_cost_usd,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms,
       coalesce(t.tokens, 0)::bigint as total_tokens,
       coalesce(t.images, 0)::bigint as total_images,
       coalesce(t.video_seconds, 0)::numeric as total_video_seconds
from days d
left join totals t on t.day = d.date
left join p95 p on p.day = d.date
left join active a on a.day = d.date;

create unique index mv_daily_metrics_date_key on public.mv_daily_metrics (date);

create materialized view public.mv_provider_performance as
with bounds as materialized (
  select (now() at time zone pulsebot.dashboard_timezone())::date as today
),
days as materialized (
  select (b.today - g)::date as day from bounds b, generate_series(0, 29) as g
),
totals as (
  select m.ps_id, sum(u.requests) as requests, sum(u.successes) as successes,
         sum(u.cost_usd) as cost_usd, sum(u.latency_sum) as latency_sum, sum(u.latency_count) as latency_count
  from pulsebot.usage_daily u join pulsebot.usage_dims m on m.id = u.dim_id cross join bounds b
  where u.day between b.today - 29 and b.today
  group by 1
  having sum(u.requests) > 0
),
coarse as (
  select c.ps_id, c.cbin, sum(c.n) as n
  from pulsebot.latency_daily_coarse c cross join bounds b
  where c.day between b.today - 29 and b.today
  group by 1, 2
  having sum(c.n) > 0
),
walk as (
  select ps_id, cbin, n, sum(n) over (partition by ps_id order by cbin) - n as before, sum(n) over (partition by ps_id) as total
  from coarse
),
picked as materialized (
  select ps_id, cbin, before, total from walk
  where before <= floor(0.95::float8 * (total::float8 - 1)) + 1 and before + n > floor(0.95::float8 * (total::float8 - 1))
),
-- Day by day, so each probe of the primary key (day, ps_id, bin) reads one coarse bin's rows.
fine as (
  select f.ps_id, f.bin, sum(f.n::float8)::bigint as n from (
    select p.ps_id, l.bin, l.n from picked p cross join days d
    join pulsebot.latency_daily l on l.day = d.day and l.ps_id = p.ps_id and l.bin between p.cbin * 16 and p.cbin * 16 + 15
    union all
    select p.ps_id, l.bin, l.n from picked p cross join bounds b
    join pulsebot.latency_daily_pending l on l.ps_id = p.ps_id and l.bin between p.cbin * 16 and p.cbin * 16 + 15
    where l.day between b.today - 29 and b.today
  ) f
  group by 1, 2
  having sum(f.n::float8) > 0
),
p95 as (
  select f.ps_id, pulsebot.hist_quantile_after(array_agg(f.bin order by f.bin), array_agg(f.n order by f.bin), s.before, s.total, 0.95) as p95
  from fine f join (select ps_id, min(before) as before, min(total) as total from picked group by 1) s on s.ps_id = f.ps_id
  group by f.ps_id, s.before, s.total
)
select ps.provider, ps.service_type,
       t.requests::bigint as total_requests,
       round(t.cost_usd, 6) as total_cost_usd,
       round(100.0 * t.successes / t.requests, 2) as success_rate,
       round(t.latency_sum::numeric / nullif(t.latency_count, 0), 2) as avg_latency_ms,
       round(p.p95::numeric, 2) as p95_latency_ms
from totals t
join pulsebot.provider_services ps on ps.id = t.ps_id
left join p95 p on p.ps_id = t.ps_id;

create unique index mv_provider_performance_key on public.mv_provider_performance (provider, service_type);

select pulsebot.restore_grants(view_name, acl) from pulsebot_saved_acl;
