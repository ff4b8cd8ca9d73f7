-- Alerts also go to PagerDuty's Events API v2 and to signed webhooks: the outbox carries those
-- channels next to Slack and email.
alter table pulsebot.outbox drop constraint outbox_channel_check;
alter table pulsebot.outbox add constraint outbox_channel_check
  check (channel in ('slack', 'email', 'pagerduty', 'webhook'));
