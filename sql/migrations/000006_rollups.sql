-- Incremental rollups: every refresh costs O(changed rows), wherever in time the changes fall.
--
-- Capture: statement-level triggers on api_usage copy each inserted row (+1), deleted row (-1) and
-- updated row (-1 old, +1 new) from the statement's transition tables into pulsebot.usage_changes,
-- in the writer's own transaction. Counts, sums and histogram counts are invertible, so a -1 row
-- undoes a +1 row exactly; distinct users are kept as counted (day, user) sets.
--
-- Fold: pulsebot.fold_changes() deletes the change rows its snapshot can see and adds them into
-- the rollups in the same transaction. A writer whose transaction is still open is invisible to
-- that snapshot, so its rows stay in the log for the next fold: nothing is lost and nothing counted
-- twice, whatever the commit order (ids are never compared).

create table pulsebot.rollup_state (
  id             boolean primary key default true check (id),
  -- The rollups must be recomputed from api_usage: after install, TRUNCATE of api_usage, or a
  -- change of the dashboard time zone (daily rollups are keyed by local day).
  needs_rebuild  boolean not null default true,
  timezone       text,
  rebuilt_at     timestamptz,
  last_fold_at   timestamptz,
  pruned_before  date
);
insert into pulsebot.rollup_state default values;

-- Log-spaced latency histogram: bin i holds values in (γ^(i-1), γ^i] and reads back as
-- 2γ^i/(γ+1), within α = (γ-1)/(γ+1) of every value in the bin, γ = (1+α)/(1-α) = 1.01918…
-- (the constants below). α = 0.95% leaves a margin below
-- the promised 1% for floating-point rounding at bin edges. Zero and negative latencies share
-- one bin that reads back as 0. Plain SQL without SET clauses, so the planner inlines them into
-- the fold's statements (a function call per row would cost more than the fold itself); every
-- name is schema-qualified instead.
create function pulsebot.latency_bin(latency double precision) returns integer
  language sql immutable parallel safe
as $$
  select case when latency is null then null
              when latency <= 0 then -32768
              else pg_catalog.ceil(pg_catalog.ln(latency) / 0.019000571614286515)::integer end
$$;

create function pulsebot.latency_bin_value(bin integer) returns double precision
  language sql immutable parallel safe
as $$
  select case when bin = -32768 then 0
              else 2 * pg_catalog.power(1.0191822311963654::double precision, bin) / 2.0191822311963654 end
$$;

-- The q-quantile of a histogram given as bins sorted ascending with their counts, interpolated
-- between neighbouring ranks like percentile_cont, so it stays within α of percentile_cont.
create function pulsebot.hist_quantile(bins integer[], counts bigint[], q double precision) returns double precision
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  total bigint := 0;
  cum bigint := 0;
  h double precision;
  lo bigint;
  v_lo double precision;
  v_hi double precision;
  i integer;
begin
  if bins is null then
    return null;
  end if;
  for i in 1 .. coalesce(array_length(counts, 1), 0) loop
    total := total + counts[i];
  end loop;
  if total <= 0 then
    return null;
  end if;
  h := q * (total - 1);
  lo := floor(h)::bigint;
  for i in 1 .. array_length(counts, 1) loop
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

-- Dictionaries: rollups are keyed by small integers instead of three text columns (narrower
-- rows and indexes, cheaper hashing in every fold).
create table pulsebot.provider_services (
  id           integer generated always as identity primary key,
  provider     text not null,
  service_type text not null,
  unique (provider, service_type)
);

create table pulsebot.usage_dims (
  id           integer generated always as identity primary key,
  provider     text not null,
  service_type text not null,
  model        text not null,
  ps_id        integer not null references pulsebot.provider_services (id),
  unique (provider, service_type, model)
);

-- Measures per 15-minute bucket (aligned to UTC quarter hours, hence to the day boundary of every
-- real time zone) × provider × service type × model.
create table pulsebot.usage_15m (
  bucket             timestamptz not null,
  dim_id             integer not null,
  requests           bigint not null,
  successes          bigint not null,
  cost_usd           numeric not null,
  input_tokens       bigint not null,
  output_tokens      bigint not null,
  images             bigint not null,
  video_seconds      numeric not null,
  latency_sum        double precision not null,
  latency_count      bigint not null,
  negative_cost_rows bigint not null,
  primary key (bucket, dim_id)
) with (fillfactor = 80);

-- The same measures per day in the dashboard's time zone (pulsebot.rollup_state.timezone).
create table pulsebot.usage_daily (
  day                date not null,
  dim_id             integer not null,
  requests           bigint not null,
  successes          bigint not null,
  cost_usd           numeric not null,
  input_tokens       bigint not null,
  output_tokens      bigint not null,
  images             bigint not null,
  video_seconds      numeric not null,
  latency_sum        double precision not null,
  latency_count      bigint not null,
  negative_cost_rows bigint not null,
  primary key (day, dim_id)
) with (fillfactor = 80);

create table pulsebot.errors_15m (
  bucket     timestamptz not null,
  dim_id     integer not null,
  error_code text not null,
  failures   bigint not null,
  primary key (bucket, dim_id, error_code)
) with (fillfactor = 80);

create table pulsebot.latency_15m (
  bucket timestamptz not null,
  dim_id integer not null,
  bin    integer not null,
  n      bigint not null,
  primary key (bucket, dim_id, bin)
) with (fillfactor = 80);

create table pulsebot.latency_daily (
  day   date not null,
  ps_id integer not null,
  bin   integer not null,
  n     bigint not null,
  primary key (day, ps_id, bin)
) with (fillfactor = 80);

create table pulsebot.latency_daily_total (
  day date not null,
  bin integer not null,
  n   bigint not null,
  primary key (day, bin)
) with (fillfactor = 80);

create table pulsebot.daily_active (
  day   date primary key,
  users bigint not null
);

-- user_id takes api_usage's own type (uuid in the contract; text in some adopted tables).
do $$
declare
  user_type text;
begin
  select format_type(a.atttypid, a.atttypmod) into user_type
  from pg_attribute a where a.attrelid = 'public.api_usage'::regclass and a.attname = 'user_id' and not a.attisdropped;

  execute format($t$
    create table pulsebot.usage_changes (
      sign          smallint not null,
      created_at    timestamptz,
      user_id       %1$s,
      provider      text,
      service_type  text,
      model         text,
      input_tokens  bigint,
      output_tokens bigint,
      images        bigint,
      video_seconds numeric,
      cost_usd      numeric,
      latency_ms    double precision,
      success       boolean,
      error_code    text
    )$t$, user_type);

  -- Counted sets: how many calls each user made each day (and with each model). A count that
  -- reaches zero removes the user from that day's distinct users, so deletes stay exact.
  execute format($t$
    create table pulsebot.daily_users (
      day     date not null,
      user_id %1$s not null,
      n       bigint not null,
      primary key (day, user_id)
    ) with (fillfactor = 80)$t$, user_type);

  execute format($t$
    create table pulsebot.daily_model_users (
      dim_id  integer not null,
      user_id %1$s not null,
      day     date not null,
      n       bigint not null,
      primary key (dim_id, user_id, day)
    ) with (fillfactor = 80)$t$, user_type);

  -- The latest day each user used each model: unique users over a window without rescanning
  -- every (model, user, day) of the window.
  execute format($t$
    create table pulsebot.model_user_recency (
      dim_id   integer not null,
      user_id  %1$s not null,
      last_day date not null,
      primary key (dim_id, user_id)
    ) with (fillfactor = 80)$t$, user_type);
end
$$;

create index model_user_recency_last_day_idx on pulsebot.model_user_recency (last_day);

-- How many (model, user) pairs have each latest day: unique users of a model over any window
-- ending today is a sum over at most a few hundred rows. Kept in step with model_user_recency
-- by its own statement-level triggers, whichever statement changes it.
create table pulsebot.recency_days (
  dim_id   integer not null,
  last_day date not null,
  pairs    bigint not null,
  primary key (dim_id, last_day)
);

create function pulsebot.track_recency_days_update() returns trigger
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  insert into pulsebot.recency_days as t (dim_id, last_day, pairs)
  select dim_id, last_day, sum(delta) from (
    select dim_id, last_day, 1 as delta from new_rows
    union all
    select dim_id, last_day, -1 from old_rows
  ) d
  group by 1, 2 having sum(delta) <> 0
  on conflict (dim_id, last_day) do update set pairs = t.pairs + excluded.pairs;
  delete from pulsebot.recency_days where pairs = 0;
  return null;
end
$$;

create function pulsebot.track_recency_days_insert() returns trigger
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  insert into pulsebot.recency_days as t (dim_id, last_day, pairs)
  select dim_id, last_day, count(*) from new_rows group by 1, 2
  on conflict (dim_id, last_day) do update set pairs = t.pairs + excluded.pairs;
  return null;
end
$$;

create function pulsebot.track_recency_days_delete() returns trigger
  language plpgsql set search_path = pg_catalog, pg_temp
as $$
begin
  update pulsebot.recency_days t set pairs = t.pairs - d.n
  from (select dim_id, last_day, count(*) as n from old_rows group by 1, 2) d
  where t.dim_id = d.dim_id and t.last_day = d.last_day;
  delete from pulsebot.recency_days where pairs = 0;
  return null;
end
$$;

create trigger recency_days_insert after insert on pulsebot.model_user_recency
  referencing new table as new_rows for each statement execute function pulsebot.track_recency_days_insert();
create trigger recency_days_update after update on pulsebot.model_user_recency
  referencing old table as old_rows new table as new_rows for each statement execute function pulsebot.track_recency_days_update();
create trigger recency_days_delete after delete on pulsebot.model_user_recency
  referencing old table as old_rows for each statement execute function pulsebot.track_recency_days_delete();

comment on table pulsebot.usage_changes is
  'Rows added (+1) or removed (-1) in api_usage since the last fold; written by triggers, consumed by pulsebot.fold_changes().';
