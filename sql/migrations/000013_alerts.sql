-- Alerting: the state of every alert (rule × scope), the silences `pulsebot silence` manages, and
-- a log of what happened to each alert. Times are written by the application from the `now` it
-- was given, never from now(), so that tests, the daemon and its replicas agree on one clock.

-- One row per rule × scope key ("all", "provider=openai"): the state machine's AlertState
-- (src/alerts/state-machine.ts) as JSON, so a change to the state's shape needs no migration.
-- Rows are written by one evaluation pass at a time (a transaction-scoped advisory lock).
create table pulsebot.alert_states (
  rule       text not null,
  scope_key  text not null,
  state      jsonb not null,
  -- Denormalised from state for listing and pruning without parsing JSON.
  status     text not null check (status in ('ok', 'pending', 'firing', 'resolved')),
  updated_at timestamptz not null,
  primary key (rule, scope_key)
);
-- Pruning alerts that have been quiet for long (a model nobody calls any more).
create index alert_states_quiet_idx on pulsebot.alert_states (updated_at) where status in ('ok', 'resolved');

-- A silence holds back the notifications of the alerts it matches from starts_at (inclusive) to
-- ends_at (exclusive). A null rule matches every rule, a null scope_key every scope; the CLI
-- refuses to create one that matches everything. Removing a silence ends it and keeps the row,
-- so the log still says who silenced what.
create table pulsebot.silences (
  id         bigint generated always as identity primary key,
  rule       text,
  scope_key  text,
  starts_at  timestamptz not null,
  ends_at    timestamptz not null,
  comment    text not null,
  created_by text not null,
  created_at timestamptz not null,
  removed_at timestamptz,
  check (ends_at > starts_at),
  check (rule is not null or scope_key is not null)
);
-- The evaluation pass reads the silences that have not ended yet.
create index silences_ends_at_idx on pulsebot.silences (ends_at);

-- Every status change and every notification of every alert: when it fired, when it resolved,
-- what it was told, and what was held back by a silence.
create table pulsebot.alert_events (
  id               bigint generated always as identity primary key,
  rule             text not null,
  scope_key        text not null,
  at               timestamptz not null,
  from_status      text not null,
  to_status        text not null,
  episode_id       text,
  value            double precision,
  threshold        double precision,
  requests         bigint,
  -- firing, repeat or resolved when the transition notified; null otherwise.
  notification     text check (notification in ('firing', 'repeat', 'resolved')),
  -- The notification's outbox key prefix (one outbox row per route below it).
  notification_key text,
  -- Why a firing was not notified: the silence id or the maintenance window's name.
  suppressed_by    text
);
create index alert_events_rule_scope_at_idx on pulsebot.alert_events (rule, scope_key, at desc);
create index alert_events_at_idx on pulsebot.alert_events (at);
