-- Every run of every daemon job (refresh, deliver, alerts, report:<name>, prune), one row per
-- scheduled tick. Three things rest on it:
--   * replicas: a replica runs a tick only if its insert of (job, scheduled_for) wins; the others
--     hit the unique key and skip the tick, so every tick runs once however many daemons there are;
--   * catch-up: the newest scheduled_for of a report job is the daemon's memory of what it last
--     ran, so a daemon that was down over a report's time can send the missed report on start;
--   * history: when each job ran, how long it took, whether it failed and why.
-- Times are written by the daemon from the clock it was given, never from now().
create table pulsebot.job_runs (
  id            bigint generated always as identity primary key,
  job           text not null,
  -- The cron tick this run belongs to (the same instant on every replica), not when it started.
  scheduled_for timestamptz not null,
  started_at    timestamptz not null,
  finished_at   timestamptz,
  -- null while running (or when the daemon running it died).
  outcome       text check (outcome in ('ok', 'failed')),
  -- A catch-up run of a tick the daemon missed while it was down.
  late          boolean not null default false,
  error         text,
  -- "host:pid:random" of the daemon that won the tick.
  instance_id   text not null,
  unique (job, scheduled_for),
  check ((finished_at is null) = (outcome is null)),
  check (outcome = 'failed' or error is null)
);

-- Pruning old history (the unique key's index serves the newest-run-per-job look-up).
create index job_runs_started_at_idx on pulsebot.job_runs (started_at);
