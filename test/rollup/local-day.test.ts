import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

type Span = { day: string; starts: string; ends: string };

// Today's span, which the users' takes use instead of converting each row (uniform_local_day). Expected
// starts worked out by hand from each zone's offset on that date.
const UNIFORM: [zone: string, instant: string, day: string, startsUtc: string][] = [
  ['UTC', '2026-12-05T12:00:00Z', '2026-12-05', '2026-12-05T00:00:00.000Z'],
  ['America/New_York', '2026-11-02T12:00:00Z', '2026-11-02', '2026-11-02T05:00:00.000Z'], // EST, the day after DST ends
  ['America/New_York', '2026-07-01T03:59:59Z', '2026-06-30', '2026-06-30T04:00:00.000Z'], // EDT, a second before midnight
  ['Asia/Kolkata', '2026-12-05T12:00:00Z', '2026-12-05', '2026-12-04T18:30:00.000Z'],
  ['Asia/Kathmandu', '2026-12-05T23:50:00Z', '2026-12-06', '2026-12-05T18:15:00.000Z'],
];

// Days with a transition: 23 or 25 hours long, 23.5 for Lord Howe's half hour, and Asunción's
// fall-back at midnight that repeats an hour of the day before. The span must be empty.
const TRANSITION: [zone: string, instant: string][] = [
  ['America/New_York', '2026-03-08T12:00:00Z'],
  ['America/New_York', '2026-11-01T12:00:00Z'],
  ['Australia/Lord_Howe', '2026-04-05T12:00:00Z'],
  ['America/Asuncion', '2024-03-23T12:00:00Z'],
];

describe.each(TARGETS)('today’s uniform span on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());

  const span = async (zone: string, instant: string) => {
    const [row] = await db.sql<Span[]>`
      select s.day::text as day, to_json(s.starts)#>>'{}' as starts, to_json(s.ends)#>>'{}' as ends
      from pulsebot.uniform_local_day(${zone}, ${instant}::timestamptz) s`;
    return row!;
  };

  it.each(UNIFORM)('%s at %s: 24 hours, every instant of them on %s', async (zone, instant, day, startsUtc) => {
    const s = await span(zone, instant);
    expect(s.day).toBe(day);
    expect(new Date(s.starts).toISOString()).toBe(startsUtc);
    expect(new Date(s.ends).getTime() - new Date(s.starts).getTime()).toBe(86_400_000);
    // Every minute of the span, and the microseconds either side of it, converted one by one.
    const [check] = await db.sql<{ inside: string[]; before: string; after: string }[]>`
      select array(select distinct (t at time zone ${zone})::date::text
                   from generate_series(${s.starts}::timestamptz, ${s.ends}::timestamptz - interval '1 microsecond', interval '1 minute') t) as inside,
             ((${s.starts}::timestamptz - interval '1 microsecond') at time zone ${zone})::date::text as before,
             (${s.ends}::timestamptz at time zone ${zone})::date::text as after`;
    expect(check!.inside).toEqual([day]);
    expect(check!.before).not.toBe(day);
    expect(check!.after).not.toBe(day);
  });

  it.each(TRANSITION)('%s at %s: a transition day, so no span', async (zone, instant) => {
    const s = await span(zone, instant);
    expect(s.starts).toBe(s.ends);
  });
});
