import type { Sql } from '../db/connect.js';
import type { TimeRange } from './queries.js';

/** Query modules for the Users and Finance sections (subscriptions, per-user spend, daily cost). */

export interface UserActivity {
  /** null: the calls without a user (anonymous), as one row. */
  userId: string | null;
  requests: number;
  costUsd: number;
  /** The plan in force at the end of the range: the latest subscription that started before it. */
  plan: string | null;
  /** When the user's first subscription started (sign-up), or null. */
  firstStartedAt: Date | null;
}

/** Calls and cost of every user in the range, with plan and sign-up: one pass over the range. */
export async function userActivity(sql: Sql, range: TimeRange): Promise<UserActivity[]> {
  return sql<UserActivity[]>`
    with usage as (
      select user_id, requests, cost_usd as cost from pulsebot.usage_by_user(${range.start}, ${range.end})
    ), subs as (
      select s.user_id,
             (array_agg(s.plan order by s.started_at desc nulls last) filter (where s.started_at is null or s.started_at < ${range.end}))[1] as plan,
             min(s.started_at) as first_started
      from pulsebot.subscription_rows() s where s.user_id in (select user_id from usage)
      group by s.user_id
    )
    select u.user_id as "userId", u.requests::bigint as requests, u.cost as "costUsd", s.plan, s.first_started as "firstStartedAt"
    from usage u left join subs s on s.user_id = u.user_id`;
}

/** Monthly recurring revenue of the subscriptions active (or past due) at `at`. */
export async function monthlyRecurringRevenue(sql: Sql, at: Date): Promise<{ mrrUsd: number; subscriptions: number }> {
  const [r] = await sql<{ mrr: number | null; n: number }[]>`
    select sum(monthly_amount_usd) as mrr, count(*)::bigint as n
    from pulsebot.subscription_rows()
    where status in ('active', 'past_due') and coalesce(monthly_amount_usd, 0) > 0
      and (started_at is null or started_at < ${at}) and (canceled_at is null or canceled_at >= ${at})`;
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
