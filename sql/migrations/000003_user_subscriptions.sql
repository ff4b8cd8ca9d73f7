-- Adopted if present, created if missing (same rule as api_usage).
do $$
begin
  if to_regclass('public.user_subscriptions') is null then
    create table public.user_subscriptions (
      user_id            uuid,
      plan               text,
      status             text,
      monthly_amount_usd numeric(12,2),
      started_at         timestamptz,
      canceled_at        timestamptz
    );
    create index user_subscriptions_user_id_idx on public.user_subscriptions (user_id);
    comment on table public.user_subscriptions is 'Subscriptions per user (created by pulsebot).';
  end if;
end
$$;
