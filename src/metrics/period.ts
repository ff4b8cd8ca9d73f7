/**
 * Report periods: the last complete day, ISO week or calendar month in a time zone, and the
 * periods a report compares it with. Pure: `now` is a parameter.
 */
import {
  addDays,
  assertLocalDate,
  compareLocalDates,
  daysBetween,
  daysInMonth,
  formatLocalDate,
  localDateOf,
  startOfLocalDay,
  weekdayOf,
  type LocalDate,
} from './zoned-time.js';

export type PeriodKind = 'day' | 'week' | 'month';

export interface Period {
  kind: PeriodKind;
  timeZone: string;
  /** First instant of the period. */
  start: Date;
  /** First instant after the period (exclusive). */
  end: Date;
  firstDay: LocalDate;
  lastDay: LocalDate;
  /** "2026-03-29", "2026-W13" (ISO week-numbering year), "2026-03". */
  label: string;
  /** Elapsed hours, not calendar hours: 23 or 25 on a DST day, 167 or 169 in a DST week. */
  hours: number;
}

export interface ReportPeriods {
  current: Period;
  /** The period right before `current`: the previous day, week or month. */
  previous: Period;
  /** Day reports only: the same weekday one week before `current`; null otherwise. */
  sameWeekdayLastWeek: Period | null;
  /** Day reports only: the same weekday 1, 2, 3 and 4 weeks before `current`, most recent first. */
  baselineWeekdays: Period[];
}

export interface ResolvePeriodsOptions {
  kind: PeriodKind;
  timeZone: string;
  now: Date;
  /** The report day; for week and month reports, any day of the period wanted. */
  date?: LocalDate;
}

const KINDS: readonly PeriodKind[] = ['day', 'week', 'month'];
const MS_PER_HOUR = 3_600_000;
const BASELINE_WEEKS = 4;

/**
 * The periods of one report. Without `date`, `current` is the last period that has ended at
 * `now` in the report's time zone (a day report at any time on 2026-03-30 reports 2026-03-29;
 * at exactly local midnight, the day that just ended). With `date`, it is the period containing
 * that date, which must have ended by `now`: a partial period is never reported.
 */
export function resolvePeriods(opts: ResolvePeriodsOptions): ReportPeriods {
  const { kind, timeZone, now, date } = opts;
  if (!KINDS.includes(kind))
    throw new RangeError(`unknown period kind "${String(kind)}" (expected day, week or month)`);
  const today = localDateOf(now, timeZone); // also rejects an invalid `now` or time zone

  let current: Period;
  if (date === undefined) {
    current = periodOf(kind, addDays(periodOf(kind, today, timeZone).firstDay, -1), timeZone);
  } else {
    assertLocalDate(date);
    current = periodOf(kind, date, timeZone);
    if (current.end.getTime() > now.getTime()) {
      const when = compareLocalDates(date, today) > 0 ? 'is in the future' : 'is not complete yet';
      throw new RangeError(
        `the ${kind} ${current.label} (${timeZone}) ${when}: it completes at ${current.end.toISOString()}`,
      );
    }
  }

  const previous = periodOf(kind, addDays(current.firstDay, -1), timeZone);
  if (kind !== 'day') return { current, previous, sameWeekdayLastWeek: null, baselineWeekdays: [] };

  const baselineWeekdays: Period[] = [];
  for (let week = 1; week <= BASELINE_WEEKS; week++) {
    baselineWeekdays.push(periodOf('day', addDays(current.firstDay, -7 * week), timeZone));
  }
  return { current, previous, sameWeekdayLastWeek: baselineWeekdays[0] ?? null, baselineWeekdays };
}

/** The day, ISO week (Monday–Sunday) or calendar month containing `date`, complete or not. */
export function periodOf(kind: PeriodKind, date: LocalDate, timeZone: string): Period {
  assertLocalDate(date);
  let firstDay: LocalDate;
  let lastDay: LocalDate;
  let label: string;
  switch (kind) {
    case 'day':
      firstDay = date;
      lastDay = date;
      label = formatLocalDate(date);
      break;
    case 'week': {
      firstDay = addDays(date, 1 - weekdayOf(date));
      lastDay = addDays(firstDay, 6);
      const { year, week } = isoWeekOf(date);
      label = `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
      break;
    }
    case 'month':
      firstDay = { year: date.year, month: date.month, day: 1 };
      lastDay = { year: date.year, month: date.month, day: daysInMonth(date.year, date.month) };
      label = formatLocalDate(firstDay).slice(0, -3);
      break;
    default:
      throw new RangeError(`unknown period kind "${String(kind)}" (expected day, week or month)`);
  }
  // Boundaries come from local midnights, never from adding 24 hours, so DST days stay one day.
  const start = startOfLocalDay(firstDay, timeZone);
  const end = startOfLocalDay(addDays(lastDay, 1), timeZone);
  return {
    kind,
    timeZone,
    start,
    end,
    firstDay: { ...firstDay },
    lastDay: { ...lastDay },
    label,
    hours: (end.getTime() - start.getTime()) / MS_PER_HOUR,
  };
}

/** ISO 8601 week number and week-numbering year (which differs from the calendar year near New Year). */
export function isoWeekOf(date: LocalDate): { year: number; week: number } {
  // The week belongs to the year its Thursday falls in.
  const thursday = addDays(date, 4 - weekdayOf(date));
  const dayOfYear = daysBetween({ year: thursday.year, month: 1, day: 1 }, thursday) + 1;
  return { year: thursday.year, week: Math.floor((dayOfYear - 1) / 7) + 1 };
}
