import { describe, expect, it } from 'vitest';
import {
  addDays,
  compareLocalDates,
  daysBetween,
  daysInMonth,
  formatLocalDate,
  localDateOf,
  offsetAt,
  parseLocalDate,
  startOfLocalDay,
  weekdayOf,
  type LocalDate,
} from '../../src/metrics/zoned-time.js';

const d = (text: string): LocalDate => {
  const [year, month, day] = text.split('-').map(Number);
  return { year: year!, month: month!, day: day! };
};
const iso = (date: Date): string => date.toISOString();

describe('localDateOf', () => {
  // [zone, instant, local date] — the instants are the last second before / first second of a
  // local day, worked out from each zone's offset by hand.
  const cases: [string, string, string][] = [
    ['UTC', '2026-03-29T23:59:59.999Z', '2026-03-29'],
    ['UTC', '2026-03-30T00:00:00.000Z', '2026-03-30'],
    ['Europe/Berlin', '2026-03-29T21:59:59Z', '2026-03-29'], // 23:59:59 CEST (+2)
    ['Europe/Berlin', '2026-03-29T22:00:00Z', '2026-03-30'],
    ['Europe/Berlin', '2026-01-15T22:59:59Z', '2026-01-15'], // 23:59:59 CET (+1)
    ['Europe/Berlin', '2026-01-15T23:00:00Z', '2026-01-16'],
    ['America/New_York', '2026-03-08T04:59:59Z', '2026-03-07'], // 23:59:59 EST (−5)
    ['America/New_York', '2026-03-08T05:00:00Z', '2026-03-08'],
    ['Asia/Kolkata', '2026-03-28T18:29:59Z', '2026-03-28'], // +05:30
    ['Asia/Kolkata', '2026-03-28T18:30:00Z', '2026-03-29'],
    ['Asia/Kathmandu', '2026-03-28T18:14:59Z', '2026-03-28'], // +05:45
    ['Asia/Kathmandu', '2026-03-28T18:15:00Z', '2026-03-29'],
    ['America/St_Johns', '2026-01-15T03:29:59Z', '2026-01-14'], // −03:30
    ['America/St_Johns', '2026-01-15T03:30:00Z', '2026-01-15'],
    ['Pacific/Kiritimati', '2026-01-01T10:00:00Z', '2026-01-02'], // +14
    ['Pacific/Pago_Pago', '2026-01-01T10:59:59Z', '2025-12-31'], // −11
  ];
  it.each(cases)('%s at %s is %s', (zone, instant, expected) => {
    expect(localDateOf(new Date(instant), zone)).toEqual(d(expected));
  });

  it('rejects an unknown time zone and an invalid instant', () => {
    expect(() => localDateOf(new Date(0), 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(() => localDateOf(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
  });
});

describe('offsetAt', () => {
  it('is exact for :30 and :45 offsets, negative ones included', () => {
    expect(offsetAt(new Date('2026-03-29T12:00:00Z'), 'Asia/Kathmandu')).toBe((5 * 60 + 45) * 60_000);
    expect(offsetAt(new Date('2026-03-29T12:00:00Z'), 'Asia/Kolkata')).toBe((5 * 60 + 30) * 60_000);
    expect(offsetAt(new Date('2026-01-15T12:00:00Z'), 'America/St_Johns')).toBe(-(3 * 60 + 30) * 60_000);
    expect(offsetAt(new Date('2026-01-15T12:00:00Z'), 'Pacific/Chatham')).toBe((13 * 60 + 45) * 60_000);
    expect(offsetAt(new Date('2026-03-29T00:59:59.999Z'), 'Europe/Berlin')).toBe(60 * 60_000);
    expect(offsetAt(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(2 * 60 * 60_000);
  });
});

describe('startOfLocalDay', () => {
  const cases: [string, string, string][] = [
    ['UTC', '2026-03-29', '2026-03-29T00:00:00.000Z'],
    // Europe/Berlin: CET +1 until 2026-03-29 01:00Z, CEST +2 until 2026-10-25 01:00Z.
    ['Europe/Berlin', '2026-03-29', '2026-03-28T23:00:00.000Z'],
    ['Europe/Berlin', '2026-03-30', '2026-03-29T22:00:00.000Z'],
    ['Europe/Berlin', '2026-10-25', '2026-10-24T22:00:00.000Z'],
    ['Europe/Berlin', '2026-10-26', '2026-10-25T23:00:00.000Z'],
    // America/New_York: EDT from 2026-03-08 02:00 EST, back to EST 2026-11-01 02:00 EDT.
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00.000Z'],
    ['America/New_York', '2026-03-09', '2026-03-09T04:00:00.000Z'],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00.000Z'],
    ['America/New_York', '2026-11-02', '2026-11-02T05:00:00.000Z'],
    ['Asia/Kolkata', '2026-03-29', '2026-03-28T18:30:00.000Z'],
    ['Asia/Kathmandu', '2026-03-29', '2026-03-28T18:15:00.000Z'],
    ['America/St_Johns', '2026-01-15', '2026-01-15T03:30:00.000Z'], // NST −03:30
    ['America/St_Johns', '2026-07-01', '2026-07-01T02:30:00.000Z'], // NDT −02:30
    ['Pacific/Chatham', '2026-01-15', '2026-01-14T10:15:00.000Z'], // +13:45
    ['Pacific/Chatham', '2026-07-01', '2026-06-30T11:15:00.000Z'], // +12:45
    ['Pacific/Kiritimati', '2026-01-02', '2026-01-01T10:00:00.000Z'], // +14
    ['Etc/GMT+12', '2026-01-01', '2026-01-01T12:00:00.000Z'], // −12
  ];
  it.each(cases)('%s %s starts at %s', (zone, date, expected) => {
    expect(iso(startOfLocalDay(d(date), zone))).toBe(expected);
  });

  it('where DST skips midnight, starts at the jump (the clocks read 01:00)', () => {
    // America/Havana 2026-03-08: 00:00 CST (−5) becomes 01:00 CDT (−4) at 05:00Z.
    expect(iso(startOfLocalDay(d('2026-03-08'), 'America/Havana'))).toBe('2026-03-08T05:00:00.000Z');
    // America/Santiago 2026-09-06: 00:00 (−4) becomes 01:00 (−3) at 04:00Z.
    expect(iso(startOfLocalDay(d('2026-09-06'), 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
    // Africa/Cairo 2026-04-24: 00:00 EET (+2) becomes 01:00 EEST (+3) at 2026-04-23T22:00Z.
    expect(iso(startOfLocalDay(d('2026-04-24'), 'Africa/Cairo'))).toBe('2026-04-23T22:00:00.000Z');
  });

  it('where a fall-back repeats midnight, starts at the first one', () => {
    // America/Havana 2026-11-01: 00:00 CDT (−4) at 04:00Z; 01:00 CDT goes back to 00:00 CST at 05:00Z.
    expect(iso(startOfLocalDay(d('2026-11-01'), 'America/Havana'))).toBe('2026-11-01T04:00:00.000Z');
  });

  it('where a fall-back crosses midnight, takes the midnight after the switch', () => {
    // America/Santiago: 2026-04-05 00:00 (−3) at 03:00Z goes back to 2026-04-04 23:00 (−4).
    expect(iso(startOfLocalDay(d('2026-04-04'), 'America/Santiago'))).toBe('2026-04-04T03:00:00.000Z');
    expect(iso(startOfLocalDay(d('2026-04-05'), 'America/Santiago'))).toBe('2026-04-05T04:00:00.000Z');
  });

  it('a date the zone skipped entirely starts where the next date does', () => {
    // Pacific/Apia went from 2011-12-29 23:59:59 (−10) to 2011-12-31 00:00 (+14) at 2011-12-30T10:00Z.
    expect(iso(startOfLocalDay(d('2011-12-30'), 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
    expect(iso(startOfLocalDay(d('2011-12-31'), 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
  });

  it('rejects invalid dates', () => {
    expect(() => startOfLocalDay({ year: 2026, month: 2, day: 30 }, 'UTC')).toThrow(/February 2026 has 28 days/);
  });
});

describe('calendar arithmetic', () => {
  it('addDays crosses month, leap-day and year boundaries', () => {
    expect(addDays(d('2026-02-28'), 1)).toEqual(d('2026-03-01'));
    expect(addDays(d('2024-02-28'), 1)).toEqual(d('2024-02-29'));
    expect(addDays(d('2000-02-28'), 1)).toEqual(d('2000-02-29'));
    expect(addDays(d('1900-02-28'), 1)).toEqual(d('1900-03-01'));
    expect(addDays(d('2026-12-31'), 1)).toEqual(d('2027-01-01'));
    expect(addDays(d('2026-03-01'), -1)).toEqual(d('2026-02-28'));
    expect(addDays(d('2026-03-29'), -28)).toEqual(d('2026-03-01'));
    expect(addDays(d('2026-01-01'), 365)).toEqual(d('2027-01-01'));
    expect(addDays(d('2024-01-01'), 366)).toEqual(d('2025-01-01'));
    expect(addDays(d('0050-03-01'), -1)).toEqual(d('0050-02-28'));
    expect(() => addDays(d('2026-01-01'), 0.5)).toThrow(RangeError);
  });

  it('daysBetween counts calendar days', () => {
    expect(daysBetween(d('2026-01-01'), d('2026-03-29'))).toBe(87);
    expect(daysBetween(d('2026-03-29'), d('2026-01-01'))).toBe(-87);
    expect(daysBetween(d('1970-01-01'), d('2000-01-01'))).toBe(10_957);
  });

  it('weekdayOf is ISO (Monday = 1, Sunday = 7)', () => {
    expect(weekdayOf(d('2026-03-29'))).toBe(7);
    expect(weekdayOf(d('2026-03-30'))).toBe(1);
    expect(weekdayOf(d('2026-01-01'))).toBe(4);
    expect(weekdayOf(d('1970-01-01'))).toBe(4);
    expect(weekdayOf(d('1969-12-31'))).toBe(3);
    expect(weekdayOf(d('2000-01-01'))).toBe(6);
  });

  it('daysInMonth knows leap years', () => {
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 12)).toBe(31);
    expect(() => daysInMonth(2026, 13)).toThrow(RangeError);
  });

  it('compareLocalDates orders by year, month, day', () => {
    expect(compareLocalDates(d('2026-03-29'), d('2026-03-29'))).toBe(0);
    expect(compareLocalDates(d('2026-03-28'), d('2026-03-29'))).toBe(-1);
    expect(compareLocalDates(d('2026-04-01'), d('2026-03-31'))).toBe(1);
    expect(compareLocalDates(d('2025-12-31'), d('2026-01-01'))).toBe(-1);
    expect([d('2026-03-02'), d('2025-12-31'), d('2026-02-28')].sort(compareLocalDates).map(formatLocalDate)).toEqual([
      '2025-12-31',
      '2026-02-28',
      '2026-03-02',
    ]);
  });
});

describe('parseLocalDate / formatLocalDate', () => {
  it('round-trips valid dates', () => {
    expect(parseLocalDate('2026-03-29')).toEqual({ year: 2026, month: 3, day: 29 });
    expect(parseLocalDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(formatLocalDate({ year: 2026, month: 3, day: 9 })).toBe('2026-03-09');
    expect(formatLocalDate({ year: 800, month: 1, day: 1 })).toBe('0800-01-01');
  });

  it.each([
    ['2026-02-30', /February 2026 has 28 days/],
    ['2025-02-29', /February 2025 has 28 days/],
    ['2026-04-31', /April 2026 has 30 days/],
    ['2026-13-01', /month must be 1–12/],
    ['2026-00-10', /month must be 1–12/],
    ['2026-03-00', /March 2026 has 31 days/],
    ['2026-3-1', /expected YYYY-MM-DD/],
    ['2026-03-29T00:00', /expected YYYY-MM-DD/],
    ['29.03.2026', /expected YYYY-MM-DD/],
    ['', /expected YYYY-MM-DD/],
  ])('rejects %j', (text, message) => {
    expect(() => parseLocalDate(text)).toThrow(RangeError);
    expect(() => parseLocalDate(text)).toThrow(message);
  });

  it('formatLocalDate rejects an impossible date object', () => {
    expect(() => formatLocalDate({ year: 2026, month: 2, day: 29 })).toThrow(RangeError);
    expect(() => formatLocalDate({ year: 2026, month: 1.5, day: 1 })).toThrow(/integers/);
  });
});
