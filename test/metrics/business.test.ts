import { describe, expect, it } from 'vitest';
import { financeSection, maskUserId, usersSection, type BusinessData } from '../../src/metrics/business.js';
import { resolvePeriods } from '../../src/metrics/period.js';

// Report day Monday 2026-11-23 (UTC). Every weekday costs $10, every Saturday and Sunday $4.
const period = resolvePeriods({ kind: 'day', timeZone: 'UTC', now: new Date('2026-11-24T06:00:00Z') }).current;
const costs = new Map<string, number>();
for (let t = Date.UTC(2026, 9, 20); t <= Date.UTC(2026, 10, 23); t += 86_400_000) {
  const d = new Date(t);
  costs.set(d.toISOString().slice(0, 10), d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 4 : 10);
}
const U = (n: number) => `3f2a9c0${n}-1111-4222-8333-44445555e4b${n}`;
const data: BusinessData = {
  users: [
    { userId: U(1), requests: 40, costUsd: 12.5, plan: 'pro', signup: 'before' },
    { userId: U(2), requests: 10, costUsd: 3, plan: 'pro', signup: 'during' },
    { userId: U(3), requests: 5, costUsd: 1, plan: null, signup: 'never' },
    { userId: U(4), requests: 2, costUsd: 0.25, plan: null, signup: 'after' },
    { userId: null, requests: 7, costUsd: 0.5, plan: null, signup: 'never' },
  ],
  mrr: { mrrUsd: 3000, subscriptions: 42 },
  dailyCosts: costs,
};

describe('finance', () => {
  it('forecasts the month end with the weekday shape, by hand', () => {
    const f = financeSection(period, 10, 300, data);
    // Nov 1–23 holds 7 weekend days (1, 7, 8, 14, 15, 21, 22) and 16 weekdays: 16 × 10 + 7 × 4 = 188
    expect(f.monthToDate).toEqual({ month: '2026-11', days: 23, costUsd: 188 });
    // Nov 24–30: Tue–Fri and Mon 30 are weekdays (5 × 10), Sat 28 and Sun 29 weekend (2 × 4): 188 + 58
    expect(f.forecast.monthEndCostUsd).toBe(246);
    expect(f.forecast.remainingDays).toBe(7);
    // budget 300: month-to-date share 300 × 23/30 = 230; forecast 246/300 = 0.82
    expect(f.budget!.monthToDateShareUsd).toBeCloseTo(230, 9);
    expect(f.budget!.forecastVsBudget).toBeCloseTo(0.82, 9);
    // one day of November's MRR: 3000/30 = 100; cost 10 → margin 90 (90%)
    expect(f.periodRevenueUsd).toBeCloseTo(100, 9);
    expect(f.grossMarginUsd).toBeCloseTo(90, 9);
    expect(f.grossMarginRate).toBeCloseTo(0.9, 9);
  });

  it('has no budget block without a budget and no margin rate without revenue', () => {
    const f = financeSection(period, 10, null, { ...data, mrr: { mrrUsd: 0, subscriptions: 0 } });
    expect(f.budget).toBeNull();
    expect(f.grossMarginRate).toBeNull();
  });
});

describe('users', () => {
  it('masks user ids, tells new from returning users, and sums spend per plan', () => {
    expect(maskUserId('3f2a9c01-1111-4222-8333-44445555e4b7')).toBe('3f2a…e4b7');
    // user 2 signed up during the report day: new; user 1 before it: returning; user 3 never and
    // user 4 only after the day: neither (a later sign-up makes nobody new in the past)
    expect(usersSection(4, data)).toEqual({
      active: 4,
      new: 1,
      returning: 1,
      unsubscribed: 2,
      topUsers: [
        { user: '3f2a…e4b1', costUsd: 12.5, requests: 40 },
        { user: '3f2a…e4b2', costUsd: 3, requests: 10 },
        { user: '3f2a…e4b3', costUsd: 1, requests: 5 },
        { user: '3f2a…e4b4', costUsd: 0.25, requests: 2 },
      ],
      byPlan: [
        { plan: 'pro', users: 2, requests: 50, costUsd: 15.5 },
        { plan: 'no plan', users: 2, requests: 7, costUsd: 1.25 },
        { plan: 'anonymous', users: 0, requests: 7, costUsd: 0.5 },
      ],
    });
  });
});
