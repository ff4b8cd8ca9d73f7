import type { Sql } from '../db/connect.js';
import type { TimeRange } from './queries.js';

/** Query modules for the Users and Finance sections (subscriptions, per-user spend, daily cost). */

export interface UserSpend {
  userId: string;
  costUsd: number;
  requests: number;
}

/** The heaviest users of the range by cost (raw rows of the range; its created_at index bounds it). */
export async function topUsers(sql: Sql, range: TimeRange, limit: number): Promise<UserSpend[]> {
  return sql<UserSpend[]>`
    select user_id::text as "userId", sum(cost_usd) as "costUsd", count(*)::bigint as requests
    from public.api_usage
    where created_at >= ${range.start} and created_at < ${range.end} and user_id is not null
    group by 1 order by 2 desc, 1 limit ${limit}`;
}

export interface PlanSpend {
  plan: string;
  users: number;
  requests: number;
  costUsd: number;
}

/**
 * Spend per plan: each user's subscription in force at the end of the range (the latest one that
 * started before it); calls without a user are "anonymous", users without one "no plan".
 */
export async function spendByPlan(sql: Sql, range: TimeRange): Promise<PlanSpend[]> {
  return sql<PlanSpend[]>`
    with usage as (
      select user_id, count(*) as requests, sum(cost_usd) as cost
      from public.api_usage where created_at >= ${range.start} and created_at < ${range.end}
      group by user_id
    ), plans as (
      select distinct on (user_id) user_id, plan
      from public.user_subscriptions
      where started_at is null or started_at < ${range.end}
      order by user_id, started_at desc nulls last
    )
    select case when u.user_id is null then 'anonymous' else coalesce(p.plan, 'no plan') end as plan,
           count(u.user_id)::bigint as users, sum(u.requests)::bigint as requests, sum(u.cost) as "costUsd"
    from usage u left join plans p on p.user_id = u.user_id
    group by 1 order by 4 desc, 1`;
}

/** Monthly recurring revenue of the subscriptions active (or past due) at `at`. */
export async function monthlyRecurringRevenue(sql: Sql, at: Date): Promise<{ mrrUsd: number; subscriptions: number }> {
  const [r] = await sql<{ mrr: number | null; n: number }[]>`
    select sum(monthly_amount_usd) as mrr, count(*)::bigint as n
    from public.user_subscriptions
    where status in ('active', 'past_due') and coalesce(monthly_amount_usd, 0) > 0
      and (started_at is null or started_at < ${at}) and (canceled_at is null or canceled_at >= ${at})`;
  return { mrrUsd: r?.mrr ?? 0, subscriptions: r?.n ?? 0 };
}

/** Cost per local day of the range in `timeZone` (15-minute buckets never straddle local days). */
export async function dailyCosts(sql: Sql, range: TimeRange, timeZone: string): Promise<Map<string, number>> {
  const rows = await sql<{ day: string; cost: number }[]>`
    select (u.bucket at time zone ${timeZone})::date::text as day, sum(u.cost_usd) as cost
    from pulsebot.usage_15m u
    where u.bucket >= ${range.start} and u.bucket < ${range.end}
    group by 1`;
  return new Map(rows.map((r) => [r.day, r.cost]));
}

/**
 * Active users of the range split into new ones — whose first subscription started inside the
 * range (they signed up and used the product) — and returning ones, everyone else.
 */
export async function newAndReturning(sql: Sql, range: TimeRange): Promise<{ new: number; returning: number }> {
  const [r] = await sql<{ fresh: number; returning: number }[]>`
    with active as (
      select distinct user_id from public.api_usage
      where created_at >= ${range.start} and created_at < ${range.end} and user_id is not null
    ), first_start as (
      select user_id, min(started_at) as started_at from public.user_subscriptions
      where user_id in (select user_id from active) group by 1
    )
    select count(*) filter (where f.started_at >= ${range.start})::bigint as fresh,
           count(*) filter (where f.started_at is null or f.started_at < ${range.start})::bigint as returning
    from active a left join first_start f on f.user_id = a.user_id`;
  return { new: r?.fresh ?? 0, returning: r?.returning ?? 0 };
}
