-- The (day, user, model) deltas waiting in pending batches, one row each: a batch is stored as
-- four arrays, written once and read whole.
create or replace view pulsebot.model_user_days_pending as
select k.day, k.user_id, k.dim_id, k.dn
from pulsebot.model_user_days_pending_batches b
cross join lateral unnest(b.days, b.user_ids, b.dim_ids, b.dns) as k(day, user_id, dim_id, dn);
