-- The delivery ledger: one row per message under its idempotency key. A message is built
-- completely before it is queued, so a retry (or a resume after a crash) sends exactly what the
-- first attempt would have. Times are written by the application from the `now` it was given,
-- never from now(), so that tests and the daemon agree on one clock.
create table pulsebot.outbox (
  id                  bigint generated always as identity primary key,
  key                 text not null unique,
  channel             text not null check (channel in ('slack', 'email')),
  destination         text not null,
  kind                text not null check (kind in ('report', 'alert', 'failure_notice')),
  -- Buffers are replaced by {"$blob": "<sha256>"} references into outbox_blobs.
  payload             jsonb not null,
  state               text not null default 'pending' check (state in ('pending', 'sending', 'sent', 'dead')),
  -- Incremented by every claim: also the fencing token that tells a stale sender it lost its lease.
  attempts            integer not null default 0 check (attempts >= 0),
  next_attempt_at     timestamptz not null,
  lease_until         timestamptz,
  -- What a multi-step send has done so far (Slack: the posted ts, the files uploaded).
  progress            jsonb not null default '{}',
  receipt             jsonb,
  last_error          text,
  created_at          timestamptz not null,
  updated_at          timestamptz not null,
  sent_at             timestamptz,
  dead_at             timestamptz,
  -- Set once the failure of a dead row has been reported through another channel (or the file outbox).
  failure_reported_at timestamptz,
  check ((state = 'sending') = (lease_until is not null)),
  check ((state = 'sent') = (sent_at is not null and receipt is not null)),
  check ((state = 'dead') = (dead_at is not null))
);

-- The two halves of a claim: due pending rows, and sending rows whose lease ran out.
create index outbox_pending_due_idx on pulsebot.outbox (next_attempt_at, id) where state = 'pending';
create index outbox_sending_lease_idx on pulsebot.outbox (lease_until) where state = 'sending';
-- Dead rows whose failure is not reported yet (swept at the start of every delivery run).
create index outbox_unreported_dead_idx on pulsebot.outbox (id) where state = 'dead' and failure_reported_at is null;
-- Pruning old sent rows.
create index outbox_sent_at_idx on pulsebot.outbox (sent_at) where state = 'sent';

-- Chart PNGs are stored once per digest, not once per recipient: 20 emails and a Slack message
-- share the same bytes.
create table pulsebot.outbox_blobs (
  sha256     text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes      bytea not null,
  created_at timestamptz not null
);

-- Which rows use which blobs. The foreign keys make it impossible to prune a blob that a row
-- still needs, whatever the interleaving of a prune and an enqueue.
create table pulsebot.outbox_blob_refs (
  outbox_id bigint not null references pulsebot.outbox (id) on delete cascade,
  sha256    text not null references pulsebot.outbox_blobs (sha256),
  primary key (outbox_id, sha256)
);
create index outbox_blob_refs_sha256_idx on pulsebot.outbox_blob_refs (sha256);

-- Removes sent rows (and reported dead rows) older than the cutoff, then blobs nothing refers to
-- any more. Not scheduled here: the daemon calls it. A blob touched by a concurrent enqueue has a
-- fresh created_at and survives.
create function pulsebot.prune_outbox(cutoff timestamptz, out rows_deleted bigint, out blobs_deleted bigint)
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
begin
  delete from pulsebot.outbox
  where (state = 'sent' and sent_at < cutoff)
     or (state = 'dead' and dead_at < cutoff and failure_reported_at is not null);
  get diagnostics rows_deleted = row_count;
  -- A separate statement, so it sees the references the first one cascaded away.
  delete from pulsebot.outbox_blobs b
  where b.created_at < cutoff
    and not exists (select 1 from pulsebot.outbox_blob_refs r where r.sha256 = b.sha256);
  get diagnostics blobs_deleted = row_count;
end
$$;
