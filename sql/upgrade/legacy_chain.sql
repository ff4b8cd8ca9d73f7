-- Run once when `migrate` converts a database migrated by the numbered chain of earlier
-- development builds (000001_pulsebot_core … 000028_user_bits_hash_grouping) to the baseline.
-- Its tables already are the baseline's but for one generated column; the definitions are applied
-- right after. What remains is that column and what the chain created that the schema no longer has.

-- Only the fold's benchmark profiling used it.
drop function if exists pulsebot.ms_since(timestamptz);

-- The chain computed usage_dims.key by calling dim_key(); the baseline spells the same hash out,
-- so the table depends on no function. Same expression, same values: only the definition moves.
alter table pulsebot.usage_dims drop column key;
alter table pulsebot.usage_dims add column key bigint generated always as (pg_catalog.hashtextextended(
  coalesce(provider, 'unknown') || E'\x1f' || coalesce(service_type, 'unknown') || E'\x1f' || coalesce(model, 'unknown'),
  0)) stored;
create unique index usage_dims_key on pulsebot.usage_dims (key);
