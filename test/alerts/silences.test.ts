import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/alerts/rules.js';
import {
  activeMaintenance,
  isSilenced,
  matchingSilence,
  suppressionOf,
  windowOccurrence,
  type Silence,
} from '../../src/alerts/silences.js';
import { at } from './fixtures.js';

function silence(id: string, matchers: Silence['matchers'], from: string, to: string): Silence {
  return { id, matchers, starts_at: at(from), ends_at: at(to), comment: 'provider incident', created_by: 'dana' };
}

describe('silences', () => {
  const openai = silence('s1', { scope: 'provider=openai' }, '2026-03-08T07:00:00Z', '2026-03-08T09:00:00Z');
  const costRule = silence('s2', { rule: 'cost_vs_baseline' }, '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z');
  const exact = silence(
    's3',
    { rule: 'provider_success_rate', scope: 'provider=luma' },
    '2026-03-08T07:00:00Z',
    '2026-03-08T08:00:00Z',
  );
  const all = [openai, costRule, exact];
  const now = at('2026-03-08T07:30:00Z');

  it('a scope matcher covers every rule on exactly that scope', () => {
    expect(isSilenced(all, 'provider_success_rate', 'provider=openai', now)).toBe(true);
    expect(isSilenced(all, 'p95_latency', 'provider=openai', now)).toBe(true);
    expect(isSilenced(all, 'provider_success_rate', 'provider=anthropic', now)).toBe(false);
    expect(isSilenced(all, 'success_rate', 'all', now)).toBe(false);
  });

  it('a rule matcher covers every scope of that rule; both matchers must hold when both are given', () => {
    expect(isSilenced(all, 'cost_vs_baseline', 'all', now)).toBe(true);
    expect(isSilenced(all, 'provider_success_rate', 'provider=luma', now)).toBe(true);
    expect(isSilenced(all, 'p95_latency', 'provider=luma', now)).toBe(false);
  });

  it('no matchers covers everything', () => {
    expect(
      isSilenced([silence('s4', {}, '2026-03-08T07:00:00Z', '2026-03-08T08:00:00Z')], 'success_rate', 'all', now),
    ).toBe(true);
  });

  it('is active from starts_at (inclusive) to ends_at (exclusive)', () => {
    expect(isSilenced([openai], 'x', 'provider=openai', at('2026-03-08T06:59:59.999Z'))).toBe(false);
    expect(isSilenced([openai], 'x', 'provider=openai', at('2026-03-08T07:00:00Z'))).toBe(true);
    expect(isSilenced([openai], 'x', 'provider=openai', at('2026-03-08T08:59:59.999Z'))).toBe(true);
    expect(isSilenced([openai], 'x', 'provider=openai', at('2026-03-08T09:00:00Z'))).toBe(false);
  });

  it('names the covering silence that lasts longest', () => {
    const longer = silence('s5', { scope: 'provider=luma' }, '2026-03-08T06:00:00Z', '2026-03-08T12:00:00Z');
    expect(matchingSilence([exact, longer], 'provider_success_rate', 'provider=luma', now)?.id).toBe('s5');
    expect(matchingSilence([], 'provider_success_rate', 'provider=luma', now)).toBeNull();
  });
});

describe('maintenance windows', () => {
  const once: MaintenanceWindow = {
    name: 'db upgrade',
    rules: ['no_new_rows'],
    start: at('2026-03-28T22:00:00Z'),
    end: at('2026-03-29T00:00:00Z'),
  };
  // Sundays 02:00–04:00 Berlin time: 01:00–03:00Z in winter (CET), 00:00–02:00Z in summer (CEST).
  const backups: MaintenanceWindow = {
    name: 'sunday backups',
    rules: null,
    cron: '0 2 * * 0',
    duration_minutes: 120,
    timezone: 'Europe/Berlin',
  };

  it('a one-off window is open from start (inclusive) to end (exclusive)', () => {
    expect(windowOccurrence(once, at('2026-03-28T21:59:59Z'))).toBeNull();
    expect(windowOccurrence(once, at('2026-03-28T22:00:00Z'))).toEqual({
      start: at('2026-03-28T22:00:00Z'),
      end: at('2026-03-29T00:00:00Z'),
    });
    expect(windowOccurrence(once, at('2026-03-29T00:00:00Z'))).toBeNull();
  });

  it('a recurring window opens at its cron in its own time zone, winter and summer', () => {
    expect(windowOccurrence(backups, at('2026-03-22T00:59:59Z'))).toBeNull();
    expect(windowOccurrence(backups, at('2026-03-22T01:00:00Z'))).toEqual({
      start: at('2026-03-22T01:00:00Z'),
      end: at('2026-03-22T03:00:00Z'),
    });
    expect(windowOccurrence(backups, at('2026-03-22T02:59:59Z'))).not.toBeNull();
    expect(windowOccurrence(backups, at('2026-03-22T03:00:00Z'))).toBeNull();
    // Two weeks later, after the switch to summer time on 29 March.
    expect(windowOccurrence(backups, at('2026-04-05T00:30:00Z'))).toEqual({
      start: at('2026-04-05T00:00:00Z'),
      end: at('2026-04-05T02:00:00Z'),
    });
    expect(windowOccurrence(backups, at('2026-04-05T02:00:00Z'))).toBeNull();
    // Not on a Monday.
    expect(windowOccurrence(backups, at('2026-03-23T01:30:00Z'))).toBeNull();
  });

  it('applies to the listed rules only, or to every rule without a list', () => {
    const inside = at('2026-03-28T23:00:00Z');
    expect(activeMaintenance([once], 'no_new_rows', inside)?.window.name).toBe('db upgrade');
    expect(activeMaintenance([once], 'success_rate', inside)).toBeNull();
    expect(activeMaintenance([once, backups], 'success_rate', at('2026-03-22T01:30:00Z'))).toMatchObject({
      window: { name: 'sunday backups' },
      end: at('2026-03-22T03:00:00Z'),
    });
  });
});

describe('suppressionOf', () => {
  const window: MaintenanceWindow = {
    name: 'db upgrade',
    rules: null,
    start: at('2026-03-28T22:00:00Z'),
    end: at('2026-03-29T00:00:00Z'),
  };
  const s = silence('s1', { rule: 'success_rate' }, '2026-03-28T21:00:00Z', '2026-03-28T23:00:00Z');

  it('says why and until when: a silence first, else a maintenance window, else nothing', () => {
    expect(suppressionOf([s], [window], 'success_rate', 'all', at('2026-03-28T22:30:00Z'))).toEqual({
      kind: 'silence',
      silence: s,
      until: at('2026-03-28T23:00:00Z'),
    });
    expect(suppressionOf([s], [window], 'success_rate', 'all', at('2026-03-28T23:30:00Z'))).toEqual({
      kind: 'maintenance',
      window,
      until: at('2026-03-29T00:00:00Z'),
    });
    expect(suppressionOf([s], [window], 'success_rate', 'all', at('2026-03-29T00:00:00Z'))).toBeNull();
  });
});
