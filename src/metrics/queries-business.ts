import type { Sql } from '../db/connect.js';
import type { TimeRange } from './queries.js';

/** Query modules for the Users and Finance sections (subscriptions, per-user spend, daily cost). */

export interface UserActivity {
  /** null: the calls without a user (anonymous), as one row. */
  userId: string | null;
  requests: number;
  costUsd: number;
  /**
   * The user's plan during the range: of the subscriptions in force at some moment of it, the one
   * in force at its end, else the latest started; null for none.
   */
  plan: string | null;
  /** When the user first subscribed (their earliest start), relative to the range. */
  signup: 'before' | 'during' | 'after' | 'never';
}

/**
 * A subscription is in force at some moment of [start, end) when it started before the end and was
 * not canceled by the start. The table has no history of `status`: a subscription canceled since
 * counts as in force until its canceled_at, whatever its status says now; one without a
 * canceled_at counts only while its status says so (`active` or `past_due`; for plans `trialing`
 * too), because a `canceled` row without a date cannot be placed in time (README "Users, plans,
 * MRR and margin").
 */

/** Calls and cost of every user in the range, with their plan and sign-up as of the range. */
export async function userActivity(sql: Sql, range: TimeRange): Promise<UserActivity[]> {
  return sql<UserActivity[]>`
    with usage as (
      select user_id, requests, cost_usd as cost from pulsebot.usage_by_user(${range.start}, ${range.end})
    ), subs as (
      select s.* from pulsebot.subscription_rows() s where s.user_id in (select user_id from usage)
    ), plans as (
      select distinct on (s.user_id) s.user_id, s.plan
      from subs s
      where (s.started_at is null or s.started_at < ${range.end})
        and (s.canceled_at is null or s.canceled_at > ${range.start})
        and (s.canceled_at is not null or s.status in ('active', 'past_due', 'trialing'))
      -- The one in force at the end of the range, else the latest started.
      order by s.user_id, (s.canceled_at is null or s.canceled_at >= ${range.end}) desc, s.started_at desc nulls last
    ), signups as (
      -- A subscription without a start date counts as started long ago.
      select user_id, min(coalesce(started_at, '-infinity')) as first from subs group by user_id
    )
    select u.user_id as "userId", u.requests::bigint as requests, u.cost as "costUsd", p.plan,
           case when g.first is null then 'never' when g.first < ${range.start} then 'before'
                when g.first < ${range.end} then 'during' else 'after' end as signup
    from usage u
    left join plans p on p.user_id = u.user_id
    left join signups g on g.user_id = u.user_id`;
}

/**
 * Monthly recurring revenue at the instant `at` (a period's end), from the subscriptions' history:
 * started before it and not canceled by it (one canceled since counts, as it was then), with an
 * amount. Trials (no canceled_at, status `trialing`) bring no revenue yet.
 */
export async function monthlyRecurringRevenue(sql: Sql, at: Date): Promise<{ mrrUsd: number; subscriptions: number }> {
  const [r] = await sql<{ mrr: number | null; n: number }[]>`
    select sum(s.monthly_amount_usd) as mrr, count(*)::bigint as n
    from pulsebot.subscription_rows() s
    where coalesce(s.monthly_amount_usd, 0) > 0
      and (s.started_at is null or s.started_at < ${at})
      and (s.canceled_at is null or s.canceled_at >= ${at})
      and (s.canceled_at is not null or s.status in ('active', 'past_due'))`;
  return { mrrUsd: r?.mrr ?? 0, subscriptions: r?.n ?? 0 };
}

/** Cost per local day of the range in `timeZone` (15-minute buckets never straddle local days). */
export async function dailyCosts(sql: Sql, range: TimeRange, timeZone: string): Promise<Map<string, number>> {
  const rows = await sql<{ day: string; cost: number }[]>`
    select (u.bucket at time zone ${timeZone})::date::text as day, sum(u.cost_usd) as cost
    from pulsebot.usage_15m_live u
    where u.bucket >= ${range.start} and u.bucket < ${range.end}
    group by 1`;
  return new Map(rows.map((r) => [r.day, r.cost]));
}
