-- The latency histogram's bin: bins grow by ~1.9% (ln-spaced), so a p95 read from bins is within
-- ~1% of the exact value at any scale. Null for a null latency and for one the figures leave out
-- (usable_latency(): negative, over 24 hours, NaN, ±Infinity). BEGIN ATOMIC: parsed once, with the
-- search_path `migrate` pins, and still inlined where it is called.
create or replace function pulsebot.latency_bin(latency double precision) returns integer
  language sql immutable parallel safe
begin atomic
  select case when pulsebot.usable_latency(latency) is null then null
              when latency = 0 then -32768
              else pg_catalog.ceil(pg_catalog.ln(latency) / 0.019000571614286515)::integer end;
end;
