import type { Sql } from '../../src/db/connect.js';
import { distinctUsersByModel } from '../../src/metrics/queries.js';

/**
 * Differences between the exact user sets (a (day, user, model) count = its model_user_days n
 * plus its pending deltas; user_days) and the raw rows, as readable strings. The views only show
 * how many users there are; this checks the counts a later delete will rely on.
 */
export async function userSetProblems(sql: Sql): Promise<string[]> {
  const rows = await sql<{ problem: string }[]>`
    with s as (select timezone as tz, coalesce(pruned_before, date '-infinity') as keep_from from pulsebot.rollup_state),
    raw as (
      select (u.created_at at time zone s.tz)::date as day, u.user_id, m.id as dim_id, count(*) as n
      from public.api_usage u cross join s
      join pulsebot.usage_dims m on m.provider = coalesce(u.provider, 'unknown') and m.service_type = coalesce(u.service_type, 'unknown')
        and m.model = coalesce(u.model, 'unknown')
      where u.user_id is not null and (u.created_at at time zone s.tz)::date >= s.keep_from
      group by 1, 2, 3
    ),
    kept as (
      select day, user_id, dim_id, sum(n) as n from (
        select day, user_id, dim_id, n from pulsebot.model_user_days
        union all
        select day, user_id, dim_id, dn from pulsebot.model_user_days_pending
      ) k group by 1, 2, 3 having sum(n) <> 0
    ),
    stale as (
      select day, user_id, dim_id, n from pulsebot.model_user_days where n <= 0
    )
    select format('model_user_days %s/%s/%s: %s, raw %s', coalesce(r.day, k.day), coalesce(r.user_id, k.user_id)::text,
                  coalesce(r.dim_id, k.dim_id), k.n, r.n) as problem
    from raw r full join kept k on k.day = r.day and k.user_id = r.user_id and k.dim_id = r.dim_id
    where r.n is distinct from k.n
    union all
    select format('model_user_days %s/%s/%s holds a count of %s', day, user_id::text, dim_id, n) from stale
    union all
    select format('user_days %s/%s: %s', coalesce(a.day, b.day), coalesce(a.user_id, b.user_id)::text,
                  case when a.day is null then 'missing' else 'extra' end)
    from pulsebot.user_days a full join (select distinct day, user_id from kept where n > 0) b
      on a.day = b.day and a.user_id = b.user_id
    where a.day is null or b.day is null
    union all
    select format('latest day of model %s, user %s: %s, expected %s', coalesce(r.dim_id, e.dim_id), coalesce(r.user_id, e.user_id)::text,
                  r.last_day, e.last_day)
    from pulsebot.model_user_recency r
    full join (select dim_id, user_id, max(day) as last_day from kept where n > 0 group by 1, 2) e
      on e.dim_id = r.dim_id and e.user_id = r.user_id
    where r.last_day is distinct from e.last_day
    union all
    select format('active users on %s: %s, expected %s', coalesce(a.day, e.day), a.users, e.users)
    from pulsebot.daily_active a
    full join (select day, count(*) as users from pulsebot.user_days group by 1) e on e.day = a.day
    where a.users is distinct from e.users
    limit 20`;
  return rows.map((r) => r.problem);
}

/** The snapshot's distinct users per model over the last 30 whole days (from rollup + pending) against raw rows. */
export async function usersByModelProblems(sql: Sql): Promise<string[]> {
  const [b] = await sql<{ first: string; last: string; tz: string }[]>`
    select ((now() at time zone timezone)::date - 29)::text as first, (now() at time zone timezone)::date::text as last, timezone as tz
    from pulsebot.rollup_state`;
  const end = new Date();
  const got = await distinctUsersByModel(sql, { start: new Date(end.getTime() - 30 * 86_400_000), end },
    { first: b!.first, last: b!.last, usersKept: true });
  const raw = await sql<{ key: string; n: number }[]>`
    select coalesce(provider, 'unknown') || '/' || coalesce(service_type, 'unknown') || '/' || coalesce(model, 'unknown') as key,
           count(distinct user_id)::bigint as n
    from public.api_usage
    where (created_at at time zone ${b!.tz})::date between ${b!.first}::date and ${b!.last}::date and user_id is not null
    group by 1`;
  const want = new Map(raw.map((r) => [r.key, r.n]));
  const keys = new Set([...got.keys(), ...want.keys()]);
  return [...keys].filter((k) => got.get(k) !== want.get(k)).map((k) => `users of ${k}: ${got.get(k)}, raw ${want.get(k)}`);
}
