-- sum(bigint) keeps a numeric state per group; int8pl keeps the sum in the hash table, and
-- overflow is an error, never a wrong number.
create or replace aggregate pulsebot.sum_int8(bigint) (sfunc = pg_catalog.int8pl, stype = bigint, combinefunc = pg_catalog.int8pl, parallel = safe);
