import type { Period } from './period.js';
import type { UserActivity } from './queries-business.js';
import { periodBudget } from './budget.js';
import { addDays, compareLocalDates, daysInMonth, formatLocalDate, weekdayOf, type LocalDate } from './zoned-time.js';

/** The Users and Finance sections of the snapshot, from rows the business queries returned. */
export interface BusinessData {
  users: UserActivity[];
  mrr: { mrrUsd: number; subscriptions: number };
  /** Cost per local day (YYYY-MM-DD) from the first day of the month (or 28 days back, whichever
   *  is earlier) to the end of the report period. */
  dailyCosts: Map<string, number>;
}

export interface PlanSpend {
  plan: string;
  users: number;
  requests: number;
  costUsd: number;
}

export interface UsersSection {
  active: number;
  /** Active users whose first subscription started within the period. */
  new: number;
  /** Active users who had subscribed before the period. */
  returning: number;
  /** Active users with no subscription started by the period's end (anonymous calls aside). */
  unsubscribed: number;
  /** Heaviest users by cost, ids masked: enough to recognise, not to copy into a message. */
  topUsers: Array<{ user: string; costUsd: number; requests: number }>;
  byPlan: PlanSpend[];
}

export interface FinanceSection {
  mrrUsd: number;
  activeSubscriptions: number;
  /** MRR prorated to the period (each day an equal share of its month). */
  periodRevenueUsd: number;
  periodCostUsd: number;
  grossMarginUsd: number;
  /** (revenue − cost) / revenue; null without revenue. */
  grossMarginRate: number | null;
  monthToDate: { month: string; days: number; costUsd: number };
  forecast: { monthEndCostUsd: number; remainingDays: number; method: string };
  budget: { monthlyUsd: number; monthToDateShareUsd: number; forecastVsBudget: number } | null;
}

/** "3f2a9c01-…-e4b7" → "3f2a…e4b7". */
export function maskUserId(id: string): string {
  return id.length <= 8 ? `${id.slice(0, 2)}…` : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/**
 * As of the period: new users signed up (their first subscription started) within it, returning
 * users before it, and the rest had not subscribed by its end (a sign-up after the period does not
 * make anyone new in it). Calls without a user count under "anonymous", users without a plan in
 * force during the period under "no plan".
 */
export function usersSection(activeUsers: number, data: BusinessData): UsersSection {
  const known = data.users.filter((u) => u.userId !== null);
  const plans = new Map<string, PlanSpend>();
  for (const u of data.users) {
    const plan = u.userId === null ? 'anonymous' : (u.plan ?? 'no plan');
    const p = plans.get(plan) ?? { plan, users: 0, requests: 0, costUsd: 0 };
    p.users += u.userId === null ? 0 : 1;
    p.requests += u.requests;
    p.costUsd += u.costUsd;
    plans.set(plan, p);
  }
  const count = (signup: UserActivity['signup']) => known.filter((u) => u.signup === signup).length;
  return {
    active: activeUsers,
    new: count('during'),
    returning: count('before'),
    unsubscribed: count('after') + count('never'),
    topUsers: [...known]
      .sort((a, b) => b.costUsd - a.costUsd || a.userId!.localeCompare(b.userId!))
      .slice(0, 5)
      .map((u) => ({ user: maskUserId(u.userId!), costUsd: u.costUsd, requests: u.requests })),
    byPlan: [...plans.values()].sort((a, b) => b.costUsd - a.costUsd || a.plan.localeCompare(b.plan)),
  };
}

/**
 * Month-end forecast with the weekday shape: month-to-date cost, plus for each remaining day of
 * the month the mean cost of that weekday over the last four weeks (weekends cost less than
 * Tuesdays). A weekday without history falls back to the mean day of those four weeks.
 */
export function financeSection(
  period: Period,
  periodCostUsd: number,
  monthlyBudgetUsd: number | null,
  data: BusinessData,
): FinanceSection {
  const last = period.lastDay;
  const monthStart: LocalDate = { year: last.year, month: last.month, day: 1 };
  const cost = (d: LocalDate) => data.dailyCosts.get(formatLocalDate(d)) ?? 0;

  let monthToDate = 0;
  for (let d = monthStart; compareLocalDates(d, last) <= 0; d = addDays(d, 1)) monthToDate += cost(d);
  const mtdDays = last.day;

  const byWeekday = new Map<number, number[]>();
  const recent: number[] = [];
  for (let i = 0; i < 28; i++) {
    const d = addDays(last, -i);
    const c = cost(d);
    recent.push(c);
    byWeekday.set(weekdayOf(d), [...(byWeekday.get(weekdayOf(d)) ?? []), c]);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  let remaining = 0;
  let remainingDays = 0;
  for (let d = addDays(last, 1); d.month === last.month; d = addDays(d, 1)) {
    remaining += mean(byWeekday.get(weekdayOf(d)) ?? recent);
    remainingDays++;
  }
  const monthEnd = monthToDate + remaining;
  const revenue = periodBudget(period, data.mrr.mrrUsd) ?? 0;
  const monthDays = daysInMonth(last.year, last.month);
  return {
    mrrUsd: data.mrr.mrrUsd,
    activeSubscriptions: data.mrr.subscriptions,
    periodRevenueUsd: revenue,
    periodCostUsd,
    grossMarginUsd: revenue - periodCostUsd,
    grossMarginRate: revenue > 0 ? (revenue - periodCostUsd) / revenue : null,
    monthToDate: { month: `${last.year}-${String(last.month).padStart(2, '0')}`, days: mtdDays, costUsd: monthToDate },
    forecast: {
      monthEndCostUsd: monthEnd,
      remainingDays,
      method: 'month to date + mean cost of each remaining weekday over the last 4 weeks',
    },
    budget:
      monthlyBudgetUsd === null
        ? null
        : {
            monthlyUsd: monthlyBudgetUsd,
            monthToDateShareUsd: (monthlyBudgetUsd * mtdDays) / monthDays,
            forecastVsBudget: monthEnd / monthlyBudgetUsd,
          },
  };
}
