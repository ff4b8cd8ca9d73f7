-- fold_user_bits() groups the bits it sets by hashing, not by sorting.
--
-- Why: a day's first batches find no bit of that day set yet, so every key of the batch (~50,000
-- for 100,000 rows) reaches the two `bits_of` aggregates. The planner sorted those keys for a
-- GroupAggregate (one sort of ~50,000 rows per bitmap table); a HashAggregate over the same rows
-- needs no sort. Measured at 10M rows on one such batch (fold_user_bits alone, rolled back,
-- alternating, 4 runs each): 77–102 ms with the sorts, 67–90 ms without. Later in the day only the
-- few keys with a new bit reach the aggregates (~2,000), where either way is cheap. The function's
-- other grouping (new users' ids, usually none) is as cheap hashed as sorted.
alter function pulsebot.fold_user_bits(date[], anyarray, integer[], bigint[], date) set enable_sort = off;
