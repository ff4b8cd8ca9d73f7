import type { Period } from './period.js';
import { addDays, compareLocalDates, daysInMonth } from './zoned-time.js';

/** The budget share of a period: each day gets an equal share of its own month. */
export function periodBudget(period: Period, monthlyUsd: number | null): number | null {
  if (monthlyUsd === null) return null;
  let total = 0;
  for (let d = period.firstDay; compareLocalDates(d, period.lastDay) <= 0; d = addDays(d, 1)) {
    total += monthlyUsd / daysInMonth(d.year, d.month);
  }
  return total;
}
