-- Run once when `migrate` converts a database migrated by the numbered chain of earlier
-- development builds (000001_pulsebot_core … 000028_user_bits_hash_grouping) to the baseline.
-- Its tables already are the baseline's; the definitions are applied right after. What remains is
-- to drop what the chain created and the current schema no longer has.

-- Only the fold's benchmark profiling used it.
drop function if exists pulsebot.ms_since(timestamptz);
