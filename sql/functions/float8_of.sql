-- A numeric as double precision without ever failing: a finite value beyond ±1e300 (a cast would
-- overflow) reads as ±1e300, an outlier; NaN and ±Infinity stay what they are. The capture reads a
-- numeric latency_ms through it, so an absurd value never blocks the application's insert.
create or replace function pulsebot.float8_of(v numeric) returns double precision
  language sql immutable parallel safe
begin atomic
  select case when pg_catalog.scale(v) is null or pg_catalog.abs(v) <= 1e300 then v::double precision
              else pg_catalog.sign(v)::double precision * 1e300 end;
end;
