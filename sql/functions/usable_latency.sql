-- A latency the figures may use: 0 to 86,400,000 ms (24 hours), else null. Negative, NaN, ±Infinity
-- and anything over 24 hours is counted under data quality and kept out of averages, percentiles
-- and histograms (docs/data-quality.md). NaN sorts above every number, so the upper bound drops it.
-- BEGIN ATOMIC: bound when pulsebot installs it, and inlined where it is called.
create or replace function pulsebot.usable_latency(latency double precision) returns double precision
  language sql immutable parallel safe
begin atomic
  select case when latency >= 0 and latency <= 86400000 then latency end;
end;
