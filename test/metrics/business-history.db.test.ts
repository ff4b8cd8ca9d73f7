import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { usersSection } from '../../src/metrics/business.js';
import { monthlyRecurringRevenue, userActivity } from '../../src/metrics/queries-business.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/**
 * Users, plans and MRR of a past day, as of that day, from subscriptions that have since changed:
 * plans changed, canceled before, during and after the day, signed up after it, canceled without
 * a date. Every expected figure below is worked out by hand from the rows.
 */
const START = new Date('2026-06-10T00:00:00Z');
const END = new Date('2026-06-11T00:00:00Z');
const u = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

// user, plan, status (now), monthly amount, started, canceled
const SUBSCRIPTIONS: Array<[number, string, string, number, string | null, string | null]> = [
  [1, 'pro', 'canceled', 20, '2025-01-01', '2025-06-01'], // over long before the day…
  [1, 'starter', 'active', 10, '2026-01-01', null], // …then starter: plan starter, returning
  [2, 'pro', 'active', 20, '2026-06-10T12:00:00Z', null], // signed up during the day: new, pro
  [3, 'pro', 'active', 20, '2026-07-01', null], // signed up after the day: not new, no plan then
  [4, 'team', 'canceled', 50, '2026-01-01', '2026-08-01'], // canceled since: team then, in MRR
  [5, 'pro', 'canceled', 20, '2025-01-01', '2025-12-31'], // canceled before: no plan, returning
  [6, 'pro', 'canceled', 20, '2026-01-01', '2026-06-10T06:00:00Z'], // canceled during: pro, not in MRR
  [7, 'pro', 'canceled', 20, '2026-01-01', null], // canceled, no date: cannot be placed: no plan
  [8, 'pro', 'past_due', 20, '2026-02-01', null], // past due: in force
  [9, 'starter', 'active', 10, '2026-01-01', null], // no calls that day: MRR only
];

describe.each(TARGETS)('business figures as of a past day (%s)', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
    for (const [n, plan, status, amount, started, canceled] of SUBSCRIPTIONS) {
      await db.sql`
        insert into public.user_subscriptions (user_id, plan, status, monthly_amount_usd, started_at, canceled_at)
        values (${u(n)}::uuid, ${plan}, ${status}, ${amount}, ${started}::timestamptz, ${canceled}::timestamptz)`;
    }
    // Users 1–8 call twice during the day ($0.5 each), once more after it.
    for (let n = 1; n <= 8; n++) {
      await db.sql`
        insert into public.api_usage (created_at, user_id, provider, service_type, model, cost_usd, latency_ms, success)
        values ('2026-06-10T09:00:00Z', ${u(n)}::uuid, 'openai', 'content', 'gpt-4o', 0.5, 100, true),
               ('2026-06-10T15:00:00Z', ${u(n)}::uuid, 'openai', 'content', 'gpt-4o', 0.5, 100, true),
               ('2026-06-12T10:00:00Z', ${u(n)}::uuid, 'openai', 'content', 'gpt-4o', 0.5, 100, true)`;
    }
  });
  afterAll(() => db.close());

  it('MRR at the end of the day counts what was in force then, not what is active now', async () => {
    // starter 10 (user 1) + pro 20 (user 2) + team 50 (user 4, canceled since) + pro 20 (user 8,
    // past due) + starter 10 (user 9); not user 3 (later), 5 (before), 6 (during), 7 (no date).
    expect(await monthlyRecurringRevenue(db.sql, END)).toEqual({ mrrUsd: 110, subscriptions: 5 });
  });

  it('plans, new and returning users as of the day', async () => {
    const rows = await userActivity(db.sql, { start: START, end: END });
    const byUser = Object.fromEntries(rows.map((r) => [r.userId, [r.plan, r.signup, r.requests]]));
    expect(byUser).toEqual({
      [u(1)]: ['starter', 'before', 2],
      [u(2)]: ['pro', 'during', 2],
      [u(3)]: [null, 'after', 2],
      [u(4)]: ['team', 'before', 2],
      [u(5)]: [null, 'before', 2],
      [u(6)]: ['pro', 'before', 2],
      [u(7)]: [null, 'before', 2],
      [u(8)]: ['pro', 'before', 2],
    });
    const section = usersSection(8, { users: rows, mrr: { mrrUsd: 0, subscriptions: 0 }, dailyCosts: new Map() });
    expect([section.new, section.returning, section.unsubscribed]).toEqual([1, 6, 1]);
    expect(section.byPlan.map((p) => [p.plan, p.users, p.costUsd])).toEqual([
      ['no plan', 3, 3],
      ['pro', 3, 3],
      ['starter', 1, 1],
      ['team', 1, 1],
    ]);
  });
});
