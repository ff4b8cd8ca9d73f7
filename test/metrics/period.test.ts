import { describe, expect, it } from 'vitest';
import { isoWeekOf, periodOf, resolvePeriods, type Period } from '../../src/metrics/period.js';
import { formatLocalDate, type LocalDate } from '../../src/metrics/zoned-time.js';

const d = (text: string): LocalDate => {
  const [year, month, day] = text.split('-').map(Number);
  return { year: year!, month: month!, day: day! };
};
const at = (iso: string) => new Date(iso);

/** The parts of a period a reader checks, in plain strings. */
function shape(p: Period) {
  return {
    label: p.label,
    firstDay: formatLocalDate(p.firstDay),
    lastDay: formatLocalDate(p.lastDay),
    start: p.start.toISOString(),
    end: p.end.toISOString(),
    hours: p.hours,
  };
}
const span = (label: string, first: string, last: string, start: string, end: string, hours: number) => ({
  label,
  firstDay: first,
  lastDay: last,
  start,
  end,
  hours,
});
const day = (date: string, start: string, end: string, hours: number) => span(date, date, date, start, end, hours);

describe('day reports', () => {
  it('Europe/Berlin spring forward: 2026-03-29 has 23 hours', () => {
    const r = resolvePeriods({ kind: 'day', timeZone: 'Europe/Berlin', now: at('2026-03-30T10:00:00Z') });
    expect(r.current.kind).toBe('day');
    expect(r.current.timeZone).toBe('Europe/Berlin');
    expect(shape(r.current)).toEqual(day('2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23));
    expect(shape(r.previous)).toEqual(day('2026-03-28', '2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', 24));
    expect(shape(r.sameWeekdayLastWeek!)).toEqual(
      day('2026-03-22', '2026-03-21T23:00:00.000Z', '2026-03-22T23:00:00.000Z', 24),
    );
    expect(r.baselineWeekdays.map(shape)).toEqual([
      day('2026-03-22', '2026-03-21T23:00:00.000Z', '2026-03-22T23:00:00.000Z', 24),
      day('2026-03-15', '2026-03-14T23:00:00.000Z', '2026-03-15T23:00:00.000Z', 24),
      day('2026-03-08', '2026-03-07T23:00:00.000Z', '2026-03-08T23:00:00.000Z', 24),
      day('2026-03-01', '2026-02-28T23:00:00.000Z', '2026-03-01T23:00:00.000Z', 24),
    ]);
  });

  it('a week after a DST day, the same weekday last week is that 23-hour day, not 7 × 24 h back', () => {
    const r = resolvePeriods({ kind: 'day', timeZone: 'Europe/Berlin', now: at('2026-04-06T07:00:00Z') });
    expect(shape(r.current)).toEqual(day('2026-04-05', '2026-04-04T22:00:00.000Z', '2026-04-05T22:00:00.000Z', 24));
    expect(shape(r.sameWeekdayLastWeek!)).toEqual(
      day('2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23),
    );
    expect(r.baselineWeekdays.map((p) => p.label)).toEqual(['2026-03-29', '2026-03-22', '2026-03-15', '2026-03-08']);
  });

  it('Europe/Berlin fall back: 2026-10-25 has 25 hours', () => {
    const r = resolvePeriods({ kind: 'day', timeZone: 'Europe/Berlin', now: at('2026-10-26T08:00:00Z') });
    expect(shape(r.current)).toEqual(day('2026-10-25', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25));
    expect(shape(r.previous)).toEqual(day('2026-10-24', '2026-10-23T22:00:00.000Z', '2026-10-24T22:00:00.000Z', 24));
  });

  it('America/New_York: 2026-03-08 has 23 hours, 2026-11-01 has 25', () => {
    const now = at('2026-12-01T12:00:00Z');
    const spring = resolvePeriods({ kind: 'day', timeZone: 'America/New_York', now, date: d('2026-03-08') });
    expect(shape(spring.current)).toEqual(
      day('2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23),
    );
    expect(shape(spring.previous)).toEqual(
      day('2026-03-07', '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', 24),
    );
    const fall = resolvePeriods({ kind: 'day', timeZone: 'America/New_York', now, date: d('2026-11-01') });
    expect(shape(fall.current)).toEqual(day('2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25));
    expect(shape(fall.sameWeekdayLastWeek!)).toEqual(
      day('2026-10-25', '2026-10-25T04:00:00.000Z', '2026-10-26T04:00:00.000Z', 24),
    );
  });

  it.each([
    // [zone, now exactly at local midnight of the 30th, the 29th's start and end]
    ['UTC', '2026-03-30T00:00:00.000Z', '2026-03-29T00:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29T22:00:00.000Z', '2026-03-28T23:00:00.000Z'],
    ['Asia/Kolkata', '2026-03-29T18:30:00.000Z', '2026-03-28T18:30:00.000Z'],
    ['Asia/Kathmandu', '2026-03-29T18:15:00.000Z', '2026-03-28T18:15:00.000Z'],
    ['America/St_Johns', '2026-03-30T02:30:00.000Z', '2026-03-29T02:30:00.000Z'], // NDT −02:30
  ])('%s: at local midnight (%s) the day that just ended is reported', (zone, midnight, start) => {
    const r = resolvePeriods({ kind: 'day', timeZone: zone, now: at(midnight) });
    expect(r.current.label).toBe('2026-03-29');
    expect(r.current.start.toISOString()).toBe(start);
    expect(r.current.end.toISOString()).toBe(midnight);
    // One second (and one millisecond) earlier the 29th is still running: the 28th is reported.
    for (const early of [1000, 1]) {
      const before = resolvePeriods({ kind: 'day', timeZone: zone, now: new Date(at(midnight).getTime() - early) });
      expect(before.current.label).toBe('2026-03-28');
    }
  });

  it('New York one second before and at local midnight after the spring-forward day', () => {
    const at0 = resolvePeriods({ kind: 'day', timeZone: 'America/New_York', now: at('2026-03-09T04:00:00Z') });
    expect(at0.current.label).toBe('2026-03-08');
    const before = resolvePeriods({ kind: 'day', timeZone: 'America/New_York', now: at('2026-03-09T03:59:59Z') });
    expect(shape(before.current)).toEqual(
      day('2026-03-07', '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', 24),
    );
  });

  it('days whose midnight is skipped, repeated or missing are still one day each', () => {
    const now = at('2027-01-01T00:00:00Z');
    const of = (zone: string, date: string) =>
      shape(resolvePeriods({ kind: 'day', timeZone: zone, now, date: d(date) }).current);
    // Havana skips 00:00–01:00 on 2026-03-08: the day starts at the jump.
    expect(of('America/Havana', '2026-03-08')).toEqual(
      day('2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23),
    );
    // Santiago repeats 23:00–24:00 on 2026-04-04.
    expect(of('America/Santiago', '2026-04-04')).toEqual(
      day('2026-04-04', '2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z', 25),
    );
    // Lord Howe Island moves its clocks by 30 minutes.
    expect(of('Australia/Lord_Howe', '2026-04-05')).toEqual(
      day('2026-04-05', '2026-04-04T13:00:00.000Z', '2026-04-05T13:30:00.000Z', 24.5),
    );
    // Samoa skipped 2011-12-30 altogether.
    expect(of('Pacific/Apia', '2011-12-30')).toEqual(
      day('2011-12-30', '2011-12-30T10:00:00.000Z', '2011-12-30T10:00:00.000Z', 0),
    );
  });
});

describe('week reports (ISO, Monday–Sunday)', () => {
  it('the week of the spring-forward switch has 167 hours', () => {
    const r = resolvePeriods({ kind: 'week', timeZone: 'Europe/Berlin', now: at('2026-03-30T08:00:00Z') });
    expect(shape(r.current)).toEqual(
      span('2026-W13', '2026-03-23', '2026-03-29', '2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 167),
    );
    expect(shape(r.previous)).toEqual(
      span('2026-W12', '2026-03-16', '2026-03-22', '2026-03-15T23:00:00.000Z', '2026-03-22T23:00:00.000Z', 168),
    );
    expect(r.sameWeekdayLastWeek).toBeNull();
    expect(r.baselineWeekdays).toEqual([]);
  });

  it('the week of the fall-back switch has 169 hours; any day of it names it', () => {
    const r = resolvePeriods({
      kind: 'week',
      timeZone: 'Europe/Berlin',
      now: at('2026-11-01T00:00:00Z'),
      date: d('2026-10-21'),
    });
    expect(shape(r.current)).toEqual(
      span('2026-W43', '2026-10-19', '2026-10-25', '2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 169),
    );
  });

  it('turns over at local midnight between Sunday and Monday', () => {
    const sunday = resolvePeriods({ kind: 'week', timeZone: 'Europe/Berlin', now: at('2026-03-29T21:59:59Z') });
    expect(sunday.current.label).toBe('2026-W12');
    const monday = resolvePeriods({ kind: 'week', timeZone: 'Europe/Berlin', now: at('2026-03-29T22:00:00Z') });
    expect(monday.current.label).toBe('2026-W13');
  });

  it('labels weeks by ISO week-numbering year near New Year', () => {
    // 2026 starts on a Thursday, so it has 53 weeks and 2027-01-01 (a Friday) is in 2026-W53.
    const r = resolvePeriods({ kind: 'week', timeZone: 'UTC', now: at('2027-01-10T00:00:00Z'), date: d('2027-01-01') });
    expect(shape(r.current)).toEqual(
      span('2026-W53', '2026-12-28', '2027-01-03', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z', 168),
    );
    expect(r.previous.label).toBe('2026-W52');
    expect(isoWeekOf(d('2025-12-29'))).toEqual({ year: 2026, week: 1 });
    expect(isoWeekOf(d('2026-01-04'))).toEqual({ year: 2026, week: 1 });
    expect(isoWeekOf(d('2027-01-04'))).toEqual({ year: 2027, week: 1 });
    expect(isoWeekOf(d('2021-01-03'))).toEqual({ year: 2020, week: 53 });
  });
});

describe('month reports', () => {
  it('February 2026 and the January before it', () => {
    const r = resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now: at('2026-03-05T12:00:00Z') });
    expect(shape(r.current)).toEqual(
      span('2026-02', '2026-02-01', '2026-02-28', '2026-01-31T23:00:00.000Z', '2026-02-28T23:00:00.000Z', 672),
    );
    expect(shape(r.previous)).toEqual(
      span('2026-01', '2026-01-01', '2026-01-31', '2025-12-31T23:00:00.000Z', '2026-01-31T23:00:00.000Z', 744),
    );
    expect(r.sameWeekdayLastWeek).toBeNull();
    expect(r.baselineWeekdays).toEqual([]);
  });

  it('months with a DST switch have 743 or 745 hours', () => {
    const now = at('2026-12-01T12:00:00Z');
    const march = resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now, date: d('2026-03-15') });
    expect(shape(march.current)).toEqual(
      span('2026-03', '2026-03-01', '2026-03-31', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z', 743),
    );
    const october = resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now, date: d('2026-10-01') });
    expect(shape(october.current)).toEqual(
      span('2026-10', '2026-10-01', '2026-10-31', '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z', 745),
    );
    const november = resolvePeriods({ kind: 'month', timeZone: 'America/New_York', now, date: d('2026-11-30') });
    expect(shape(november.current)).toEqual(
      span('2026-11', '2026-11-01', '2026-11-30', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z', 721),
    );
  });

  it('turns over at local midnight of the 1st and crosses years', () => {
    const endOfMarch = at('2026-03-31T22:00:00Z'); // 2026-04-01 00:00 CEST
    expect(resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now: endOfMarch }).current.label).toBe('2026-03');
    expect(
      resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now: new Date(endOfMarch.getTime() - 1000) }).current
        .label,
    ).toBe('2026-02');
    const january = resolvePeriods({ kind: 'month', timeZone: 'Asia/Kathmandu', now: at('2026-01-15T00:00:00Z') });
    expect(shape(january.current)).toEqual(
      span('2025-12', '2025-12-01', '2025-12-31', '2025-11-30T18:15:00.000Z', '2025-12-31T18:15:00.000Z', 744),
    );
    expect(january.previous.label).toBe('2025-11');
  });
});

describe('periods that cannot be reported', () => {
  const berlin = { timeZone: 'Europe/Berlin', now: at('2026-03-30T10:00:00Z') };

  it('the current, incomplete day is refused, saying when it completes', () => {
    const call = () => resolvePeriods({ kind: 'day', ...berlin, date: d('2026-03-30') });
    expect(call).toThrow(RangeError);
    expect(call).toThrow(
      'the day 2026-03-30 (Europe/Berlin) is not complete yet: it completes at 2026-03-30T22:00:00.000Z',
    );
  });

  it('a future day is refused', () => {
    expect(() => resolvePeriods({ kind: 'day', ...berlin, date: d('2026-04-15') })).toThrow(
      'the day 2026-04-15 (Europe/Berlin) is in the future: it completes at 2026-04-15T22:00:00.000Z',
    );
  });

  it('a past day of the still-running week or month is refused', () => {
    const now = at('2026-03-27T12:00:00Z');
    expect(() => resolvePeriods({ kind: 'week', timeZone: 'Europe/Berlin', now, date: d('2026-03-25') })).toThrow(
      'the week 2026-W13 (Europe/Berlin) is not complete yet: it completes at 2026-03-29T22:00:00.000Z',
    );
    expect(() => resolvePeriods({ kind: 'month', timeZone: 'Europe/Berlin', now, date: d('2026-03-01') })).toThrow(
      'the month 2026-03 (Europe/Berlin) is not complete yet: it completes at 2026-03-31T22:00:00.000Z',
    );
  });

  it('a day that ended exactly at now is complete', () => {
    const r = resolvePeriods({
      kind: 'day',
      timeZone: 'Europe/Berlin',
      now: at('2026-03-29T22:00:00Z'),
      date: d('2026-03-29'),
    });
    expect(r.current.label).toBe('2026-03-29');
  });

  it('invalid dates, zones, instants and kinds are refused', () => {
    expect(() => resolvePeriods({ kind: 'day', ...berlin, date: { year: 2026, month: 2, day: 30 } })).toThrow(
      /February 2026 has 28 days/,
    );
    expect(() => resolvePeriods({ kind: 'day', timeZone: 'Mars/Olympus', now: berlin.now })).toThrow(RangeError);
    expect(() => resolvePeriods({ kind: 'day', timeZone: 'UTC', now: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => resolvePeriods({ kind: 'year' as 'day', ...berlin })).toThrow(/unknown period kind "year"/);
    expect(() => periodOf('day', { year: 2026, month: 13, day: 1 }, 'UTC')).toThrow(/month must be 1–12/);
  });

  it('returns copies: editing a result does not leak into the next', () => {
    const date = d('2026-03-29');
    const r = resolvePeriods({ kind: 'day', ...berlin, date });
    r.current.firstDay.day = 1;
    expect(date.day).toBe(29);
    expect(r.current.lastDay.day).toBe(29);
  });
});
