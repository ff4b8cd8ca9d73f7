-- A numeric as an exact count of millionths, summed as bigint (numeric sums allocate); null when
-- it has more than six decimals or is too large, and the reader then sums the numeric instead.
create or replace function pulsebot.millionths(v numeric) returns bigint
  language sql immutable parallel safe
begin atomic
  select case when v is null then 0
              when pg_catalog.scale(v) <= 6 and pg_catalog.abs(v) < 1000000000000 then (v * 1000000)::bigint end;
end;
