-- A numeric count (tokens, images) as bigint without ever failing: NaN, ±Infinity and values out of
-- bigint's range read as null (not counted). The capture reads numeric count columns through it,
-- so an odd value never blocks the application's insert.
create or replace function pulsebot.bigint_of(v numeric) returns bigint
  language sql immutable parallel safe
begin atomic
  select case when pg_catalog.abs(v) < 9e18 then pg_catalog.round(v)::bigint end;
end;
