-- The pseudo-bin the fold files an unusable latency under, beside the histogram bins (which stay
-- below 1,000,000): 1000001 negative, 1000002 over 24 hours, 1000003 NaN or ±Infinity; null for a
-- usable (usable_latency()) or a null latency. Grouping by it counts each kind without an
-- aggregate of its own; readers of pending_15m take only bins below 1,000,000 as histogram bins.
create or replace function pulsebot.latency_flaw_bin(latency double precision) returns integer
  language sql immutable parallel safe
begin atomic
  select case when latency is null or pulsebot.usable_latency(latency) is not null then null
              when latency in ('NaN'::double precision, 'Infinity'::double precision, '-Infinity'::double precision) then 1000003
              when latency < 0 then 1000001
              else 1000002 end;
end;
