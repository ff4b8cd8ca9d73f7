/**
 * Calendar dates and day boundaries in IANA time zones, exact across DST switches and for
 * offsets that are not whole hours. Pure: every instant is a parameter.
 *
 * Calendar arithmetic works on day numbers (days since 1970-01-01, proleptic Gregorian) instead
 * of `Date`, so a day is always one day, never 24 hours, and years below 100 are not remapped the
 * way `Date.UTC` remaps them.
 */

/** A calendar date with no time zone attached; `month` is 1–12. */
export type LocalDate = { year: number; month: number; day: number };

/** ISO weekday: Monday = 1 … Sunday = 7. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

const MS_PER_SECOND = 1000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
// Every offset in the tz database lies within these bounds (Etc/GMT+12, Pacific/Kiritimati);
// a margin keeps the bracket of the gap search valid for historical local mean times too.
const MAX_OFFSET_MS = 15 * MS_PER_HOUR;

/** January … December, for labels that name a month. */
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

// Building a DateTimeFormat costs far more than using one, and a report asks for many offsets
// in the same zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as Europe/Berlin)`, { cause });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

function assertInstant(instant: Date): number {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid instant (Invalid Date)');
  return ms;
}

function wallClockAt(ms: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = fields;
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    throw new Error(`Intl.DateTimeFormat returned an incomplete date for ${timeZone}`);
  }
  return { year, month, day, hour, minute, second };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function offsetAt(instant: Date, timeZone: string): number {
  return offsetAtMs(assertInstant(instant), timeZone);
}

function offsetAtMs(ms: number, timeZone: string): number {
  const wall = wallClockAt(ms, timeZone);
  const wallAsUtc = dayNumber(wall) * MS_PER_DAY + ((wall.hour * 60 + wall.minute) * 60 + wall.second) * MS_PER_SECOND;
  // The formatter drops milliseconds, so compare with the instant truncated to its second.
  return wallAsUtc - Math.floor(ms / MS_PER_SECOND) * MS_PER_SECOND;
}

/** The calendar date an instant falls on in a time zone. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const { year, month, day } = wallClockAt(assertInstant(instant), timeZone);
  return { year, month, day };
}

/**
 * The first instant of a local date: local 00:00 where it exists. Where a DST jump skips
 * midnight it is the moment of the jump (the clocks read 01:00, say); where a fall-back repeats
 * midnight it is the first of the two; where a zone skipped the whole date (Pacific/Apia,
 * 2011-12-30) it is the start of the next date, so that day lasts zero hours.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  assertLocalDate(date);
  const target = dayNumber(date) * MS_PER_DAY; // local midnight, read as if it were UTC

  // Fixed point: the offset at the guess corrects the guess; settles in one or two steps.
  let guess = target - offsetAtMs(target, timeZone);
  for (let i = 0; i < 3; i++) {
    const next = target - offsetAtMs(guess, timeZone);
    if (next === guess) break;
    guess = next;
  }

  // A fall-back across midnight repeats it; the offset in force a day earlier finds the first.
  const earlier = target - offsetAtMs(guess - MS_PER_DAY, timeZone);
  if (earlier < guess && isMidnightOf(earlier, date, timeZone)) return new Date(earlier);
  if (isMidnightOf(guess, date, timeZone)) return new Date(guess);
  return new Date(firstInstantOnOrAfter(date, target, timeZone));
}

function isMidnightOf(ms: number, date: LocalDate, timeZone: string): boolean {
  const wall = wallClockAt(ms, timeZone);
  return wall.hour === 0 && wall.minute === 0 && wall.second === 0 && compareLocalDates(wall, date) === 0;
}

/** Local midnight does not exist: bisect (to the second) for the first instant on `date` or later. */
function firstInstantOnOrAfter(date: LocalDate, target: number, timeZone: string): number {
  let before = (target - MAX_OFFSET_MS) / MS_PER_SECOND; // local date certainly earlier
  let onOrAfter = (target + MAX_OFFSET_MS) / MS_PER_SECOND; // certainly on or after
  while (onOrAfter - before > 1) {
    const mid = Math.floor((before + onOrAfter) / 2);
    if (compareLocalDates(wallClockAt(mid * MS_PER_SECOND, timeZone), date) >= 0) onOrAfter = mid;
    else before = mid;
  }
  return onOrAfter * MS_PER_SECOND;
}

/** Days since 1970-01-01 (Hinnant's days_from_civil), exact for any year. */
function dayNumber({ year, month, day }: LocalDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function fromDayNumber(n: number): LocalDate {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** The date `n` calendar days later (earlier for negative `n`). */
export function addDays(date: LocalDate, n: number): LocalDate {
  assertLocalDate(date);
  if (!Number.isSafeInteger(n)) throw new RangeError(`addDays needs a whole number of days, got ${n}`);
  return fromDayNumber(dayNumber(date) + n);
}

/** Calendar days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  assertLocalDate(from);
  assertLocalDate(to);
  return dayNumber(to) - dayNumber(from);
}

export function weekdayOf(date: LocalDate): IsoWeekday {
  assertLocalDate(date);
  // 1970-01-01 was a Thursday (ISO 4).
  return (((((dayNumber(date) + 3) % 7) + 7) % 7) + 1) as IsoWeekday;
}

export function daysInMonth(year: number, month: number): number {
  if (!Number.isSafeInteger(year) || !Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError(`invalid month ${year}-${month}`);
  }
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** -1, 0 or 1, for `Array.prototype.sort`. */
export function compareLocalDates(a: LocalDate, b: LocalDate): -1 | 0 | 1 {
  const d = a.year - b.year || a.month - b.month || a.day - b.day;
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** Throws a RangeError naming the problem when `date` is not a real calendar date. */
export function assertLocalDate(date: LocalDate): void {
  const { year, month, day } = date;
  if (!Number.isSafeInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) {
    throw new RangeError(`invalid date ${JSON.stringify(date)}: year, month and day must be integers`);
  }
  if (month < 1 || month > 12) throw new RangeError(`invalid date ${formatLoose(date)}: month must be 1–12`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    throw new RangeError(`invalid date ${formatLoose(date)}: ${MONTH_NAMES[month - 1]} ${year} has ${days} days`);
  }
}

/** Parses `YYYY-MM-DD`, rejecting other shapes and dates that do not exist (2026-02-30). */
export function parseLocalDate(text: string): LocalDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`invalid date "${text}": expected YYYY-MM-DD`);
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  assertLocalDate(date);
  return date;
}

/** `YYYY-MM-DD`. */
export function formatLocalDate(date: LocalDate): string {
  assertLocalDate(date);
  return formatLoose(date);
}

function formatLoose({ year, month, day }: LocalDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
