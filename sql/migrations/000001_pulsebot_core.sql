-- pulsebot's own bookkeeping. The `pulsebot` schema and its migration ledger are created by the
-- migration runner itself (src/db/migrate.ts) before this file runs.

-- Settings the database itself needs, so SQL callers such as pg_cron see the same values as the
-- daemon (the daemon writes them from the config file on every start and refresh).
create table pulsebot.settings (
  key        text primary key,
  value      text not null,
  updated_at timestamptz not null default now()
);

-- Day boundary of the dashboard views. Stable within a statement, so a materialized view may use it.
create function pulsebot.dashboard_timezone() returns text
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select value from pulsebot.settings where key = 'dashboard_timezone'), 'UTC')
$$;

-- Every refresh of every view, successful or not: the answer to "when were the views last
-- refreshed, and did it work?".
create table pulsebot.refresh_log (
  id          bigint generated always as identity primary key,
  view_name   text not null,
  started_at  timestamptz not null,
  finished_at timestamptz not null,
  row_count   bigint,
  outcome     text not null check (outcome in ('ok', 'failed')),
  error       text,
  invoked_by  text
);
create index refresh_log_view_finished_idx on pulsebot.refresh_log (view_name, finished_at desc);
create index refresh_log_finished_idx on pulsebot.refresh_log (finished_at);

-- Users that `pulsebot seed-demo` invented, so their subscriptions can be removed again without
-- touching real ones (user_subscriptions has no is_synthetic column of its own).
create table pulsebot.synthetic_users (
  user_id    uuid primary key,
  created_at timestamptz not null default now()
);
