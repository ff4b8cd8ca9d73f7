-- Removes sent rows (and reported dead rows) older than the cutoff, then blobs no outbox row refers
-- to. Not scheduled here: the daemon calls it. A blob touched by a concurrent enqueue has a
-- fresh created_at and survives.
CREATE OR REPLACE FUNCTION pulsebot.prune_outbox(cutoff timestamp with time zone, OUT rows_deleted bigint, OUT blobs_deleted bigint)
 RETURNS record
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
