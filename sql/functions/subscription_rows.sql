-- Every row of user_subscriptions, which an application usually guards with row-level security
-- too: plans, sign-ups and MRR count them all. SECURITY DEFINER like every raw read
-- (usage_rows.sql); the runtime role's only. Generated from the columns the table really has: a
-- missing one reads as null, and `pulsebot doctor` names it.
do $$
declare
  cols text;
begin
  select pg_catalog.string_agg(
           case when a.attname is null then pg_catalog.format('null::%s', c.type)
                else pg_catalog.format('s.%I::%s', c.name, c.type) end, ', ' order by c.ord)
    into cols
  from unnest(array['user_id', 'plan', 'status', 'monthly_amount_usd', 'started_at', 'canceled_at'],
              array['text', 'text', 'text', 'numeric', 'timestamptz', 'timestamptz'])
         with ordinality as c(name, type, ord)
  left join pg_catalog.pg_attribute a
    on a.attrelid = 'public.user_subscriptions'::regclass and a.attname = c.name and a.attnum > 0 and not a.attisdropped;
  execute pg_catalog.format($f$
    create or replace function pulsebot.subscription_rows()
      returns table (user_id text, plan text, status text, monthly_amount_usd numeric,
                     started_at timestamptz, canceled_at timestamptz)
      language sql stable security definer
      set search_path to 'pg_catalog', 'pg_temp'
    as $b$ select %s from public.user_subscriptions s $b$ $f$, cols);
end
$$;

revoke all on function pulsebot.subscription_rows() from public;
