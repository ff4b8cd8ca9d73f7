import { describe, expect, it } from 'vitest';
import { missedRun, nextRuns } from '../../src/alerts/schedule.js';
import { at } from './fixtures.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const HOUR = 3_600_000;

/*
 * A "0 9 * * *" report across the 2026 switches. Expected instants by hand:
 * Berlin is UTC+1 (CET) until 29 Mar 02:00, UTC+2 (CEST) until 25 Oct 03:00, then UTC+1;
 * New York is UTC−5 (EST) until 8 Mar 02:00, UTC−4 (EDT) until 1 Nov 02:00, then UTC−5.
 * 09:00 local = 09:00 − offset. One run per local day, none doubled, none lost.
 */
describe('nextRuns: 09:00 local, exactly once a day across daylight-saving switches', () => {
  it('Europe/Berlin, spring forward on 29 March', () => {
    expect(iso(nextRuns('0 9 * * *', 'Europe/Berlin', at('2026-03-27T00:00:00Z'), 4))).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('Europe/Berlin, fall back on 25 October', () => {
    expect(iso(nextRuns('0 9 * * *', 'Europe/Berlin', at('2026-10-24T00:00:00Z'), 3))).toEqual([
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
    ]);
  });

  it('America/New_York, spring forward on 8 March', () => {
    expect(iso(nextRuns('0 9 * * *', 'America/New_York', at('2026-03-07T00:00:00Z'), 3))).toEqual([
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ]);
  });

  it('America/New_York, fall back on 1 November', () => {
    expect(iso(nextRuns('0 9 * * *', 'America/New_York', at('2026-10-31T00:00:00Z'), 3))).toEqual([
      '2026-10-31T13:00:00.000Z',
      '2026-11-01T14:00:00.000Z',
      '2026-11-02T14:00:00.000Z',
    ]);
  });

  it('counts from strictly after `from`', () => {
    expect(iso(nextRuns('0 9 * * *', 'Europe/Berlin', at('2026-03-28T08:00:00Z'), 1))).toEqual([
      '2026-03-29T07:00:00.000Z',
    ]);
    expect(iso(nextRuns('0 9 * * *', 'Europe/Berlin', at('2026-03-28T07:59:59Z'), 1))).toEqual([
      '2026-03-28T08:00:00.000Z',
    ]);
    expect(nextRuns('0 9 * * *', 'UTC', at('2026-03-28T07:59:59Z'), 0)).toEqual([]);
  });

  it('a time that does not exist on the switch day runs once, at the first time that does', () => {
    // 02:30 New York does not exist on 8 March: croner runs at 03:00 EDT (07:00Z), as PITFALLS.md says.
    expect(iso(nextRuns('30 2 * * *', 'America/New_York', at('2026-03-07T00:00:00Z'), 3))).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('30-second evaluation ticks (six fields)', () => {
    expect(iso(nextRuns('*/30 * * * * *', 'UTC', at('2026-03-08T06:59:00.500Z'), 3))).toEqual([
      '2026-03-08T06:59:30.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:00:30.000Z',
    ]);
  });
});

describe('missedRun: catch-up after downtime', () => {
  const daily = (lastRunAt: Date | null, now: Date, graceMs = 6 * HOUR) =>
    missedRun('0 9 * * *', 'Europe/Berlin', lastRunAt, now, graceMs);

  it('within the grace: the most recent miss is due once, late; older misses are skipped', () => {
    // Last sent 27 Mar 09:00 Berlin; down until 29 Mar 12:30 Berlin (10:30Z), 3.5 h after that day's run.
    expect(daily(at('2026-03-27T08:00:00Z'), at('2026-03-29T10:30:00Z'))).toEqual({
      kind: 'due',
      due: at('2026-03-29T07:00:00Z'),
      late: true,
      skipped: [at('2026-03-28T08:00:00Z')],
      truncated: false,
    });
  });

  it('beyond the grace: everything missed is skipped, nothing is sent', () => {
    // 7 h after 29 Mar 09:00 Berlin (07:00Z), with a 6 h grace.
    expect(daily(at('2026-03-27T08:00:00Z'), at('2026-03-29T14:00:00Z'))).toEqual({
      kind: 'skipped',
      skipped: [at('2026-03-29T07:00:00Z'), at('2026-03-28T08:00:00Z')],
      truncated: false,
    });
  });

  it('the grace boundary is inclusive', () => {
    expect(daily(at('2026-03-28T08:00:00Z'), at('2026-03-29T13:00:00Z'))).toMatchObject({
      kind: 'due',
      due: at('2026-03-29T07:00:00Z'),
    });
    expect(daily(at('2026-03-28T08:00:00Z'), at('2026-03-29T13:00:00.001Z'))).toMatchObject({ kind: 'skipped' });
  });

  it('nothing missed: the last run is the latest one, or the job never ran (a new install sends no old report)', () => {
    expect(daily(at('2026-03-29T07:00:00Z'), at('2026-03-29T10:00:00Z'))).toBeNull();
    expect(daily(at('2026-03-29T07:00:05Z'), at('2026-03-29T10:00:00Z'))).toBeNull();
    expect(daily(null, at('2026-03-29T10:00:00Z'))).toBeNull();
  });

  it('a run exactly at now is due and not late', () => {
    expect(daily(at('2026-03-28T08:00:00Z'), at('2026-03-29T07:00:00Z'))).toEqual({
      kind: 'due',
      due: at('2026-03-29T07:00:00Z'),
      late: false,
      skipped: [],
      truncated: false,
    });
  });

  it('lists a bounded number of misses and says when it left some out', () => {
    const r = missedRun('* * * * *', 'UTC', at('2026-03-08T00:00:00Z'), at('2026-03-08T07:00:30Z'), 0, {
      maxListed: 3,
    });
    expect(r).toEqual({
      kind: 'skipped',
      skipped: [at('2026-03-08T07:00:00Z'), at('2026-03-08T06:59:00Z'), at('2026-03-08T06:58:00Z')],
      truncated: true,
    });
    const due = missedRun('* * * * *', 'UTC', at('2026-03-08T06:56:00Z'), at('2026-03-08T07:00:30Z'), 60_000, {
      maxListed: 3,
    });
    expect(due).toEqual({
      kind: 'due',
      due: at('2026-03-08T07:00:00Z'),
      late: true,
      skipped: [at('2026-03-08T06:59:00Z'), at('2026-03-08T06:58:00Z'), at('2026-03-08T06:57:00Z')],
      truncated: false,
    });
  });
});
