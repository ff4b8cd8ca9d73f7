-- What people did from an alert's Slack buttons: acknowledge it, silence it for an hour or until
-- it resolves. Every click is kept, refused ones too (who tried what, and why it was refused);
-- action_key is the click's own id, so a click delivered to several replicas is applied once.
create table pulsebot.alert_actions (
  id             bigint generated always as identity primary key,
  action_key     text not null unique,
  action         text not null check (action in ('acknowledge', 'silence_1h', 'silence_until_resolved')),
  outcome        text not null check (outcome in ('applied', 'already_acknowledged', 'already_resolved', 'not_allowed', 'unknown_alert')),
  rule           text,
  scope_key      text,
  episode_id     text,
  slack_user_id  text not null,
  slack_user     text,
  channel_id     text,
  message_ts     text,
  -- The silence a click created (no foreign key: clearing silences must not need the click log).
  silence_id     bigint,
  at             timestamptz not null
);
-- Repeats stop for an acknowledged episode: the evaluation pass looks its acknowledgement up.
create unique index alert_actions_acknowledged_idx on pulsebot.alert_actions (episode_id)
  where action = 'acknowledge' and outcome = 'applied';
create index alert_actions_at_idx on pulsebot.alert_actions (at);

-- "Silence until resolved": the silence ends when the episode it was made for resolves.
alter table pulsebot.silences add column ends_with_episode text;
