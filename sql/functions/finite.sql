-- A numeric when it is finite, else null: NaN (and ±Infinity, PostgreSQL 14 on) are counted under
-- data quality and kept out of every sum (docs/data-quality.md). scale() is null exactly for them.
create or replace function pulsebot.finite(v numeric) returns numeric
  language sql immutable parallel safe
begin atomic
  select case when pg_catalog.scale(v) is not null then v end;
end;
