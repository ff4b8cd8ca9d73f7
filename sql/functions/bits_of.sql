-- bits_of(bit, 1): a 4,096-bit block with the given bits set. set_bit is the transition function,
-- so building a block costs one C call per user. The initial value is 4,096 zeros, spelt by repeat().
do $$
begin
  execute format('create or replace aggregate pulsebot.bits_of(integer, integer) (sfunc = pg_catalog.set_bit, stype = bit, initcond = %L)',
                 pg_catalog.repeat('0', 4096));
end
$$;
