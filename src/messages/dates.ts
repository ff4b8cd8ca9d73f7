/**
 * Dates and times as messages state them, in the report's (or the alerts') time zone: the same
 * words in an email's HTML and text parts and in an alert's Slack message.
 */

function parts(
  iso: string,
  timeZone: string,
): Record<'weekday' | 'longWeekday' | 'day' | 'month' | 'longMonth' | 'year' | 'hour' | 'minute' | 'zone', string> {
  const get = (opts: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('en-GB', { timeZone, ...opts }).formatToParts(new Date(iso));
  const pick = (ps: Intl.DateTimeFormatPart[], type: string) => ps.find((p) => p.type === type)?.value ?? '';
  const a = get({
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  const b = get({ weekday: 'long', month: 'long' });
  return {
    weekday: pick(a, 'weekday'),
    longWeekday: pick(b, 'weekday'),
    day: pick(a, 'day'),
    month: pick(a, 'month'),
    longMonth: pick(b, 'month'),
    year: pick(a, 'year'),
    hour: pick(a, 'hour'),
    minute: pick(a, 'minute'),
    zone: pick(a, 'timeZoneName'),
  };
}

/** "25 Nov 2026, 00:49 UTC" */
export function formatInstant(iso: string, timeZone: string): string {
  const p = parts(iso, timeZone);
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${p.zone}`;
}

interface PeriodInfo {
  label: string;
  start: string;
  end: string;
}
export interface PeriodNames {
  short: string;
  long: string;
}

/** Day: "Tue 24 Nov" / "Tuesday 24 November 2026"; week: "week 47" / "week 47, 16–22 November 2026"; month: "Nov 2026" / "November 2026". */
export function periodNames(p: PeriodInfo, kind: 'day' | 'week' | 'month', timeZone: string): PeriodNames {
  const first = parts(p.start, timeZone);
  const last = parts(new Date(new Date(p.end).getTime() - 1).toISOString(), timeZone);
  if (kind === 'day')
    return {
      short: `${first.weekday} ${first.day} ${first.month}`,
      long: `${first.longWeekday} ${first.day} ${first.longMonth} ${first.year}`,
    };
  if (kind === 'month') return { short: `${first.month} ${first.year}`, long: `${first.longMonth} ${first.year}` };
  const week = /W(\d+)$/.exec(p.label)?.[1];
  const name = week ? `week ${Number(week)}` : p.label;
  const range =
    first.longMonth === last.longMonth
      ? `${first.day}–${last.day} ${last.longMonth} ${last.year}`
      : `${first.day} ${first.longMonth}${first.year === last.year ? '' : ` ${first.year}`} – ${last.day} ${last.longMonth} ${last.year}`;
  return { short: name, long: `${name}, ${range}` };
}
