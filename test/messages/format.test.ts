import { describe, expect, it } from 'vitest';
import { deltaDirection, formatDelta } from '../../src/messages/format-delta.js';
import {
  formatAge,
  formatCount,
  formatDuration,
  formatMs,
  formatNumber,
  formatRate,
  formatSignedPercent,
  formatSignedPp,
  formatSignedUsd,
  formatTimes,
  formatUsd,
  latencyFormat,
} from '../../src/messages/format.js';
import type { Delta } from '../../src/metrics/deltas.js';

// Every expected string below is written by hand from the rules in src/messages/format.ts.
// "−" is U+2212 (the true minus); "–" (en dash) is a missing value.

type Case = [input: number | null | undefined, expected: string];

const MISSING_INPUTS: Case[] = [
  [null, '–'],
  [undefined, '–'],
  [Number.NaN, '–'],
  [Number.POSITIVE_INFINITY, '–'],
  [Number.NEGATIVE_INFINITY, '–'],
];

const table = (name: string, f: (x: number | null | undefined) => string, cases: Case[]) =>
  describe(name, () => {
    it.each([...cases, ...MISSING_INPUTS])('%s → %s', (input, expected) => {
      const text = f(input);
      expect(text).toBe(expected);
      // Never an ASCII hyphen as a sign, never "−0".
      expect(text).not.toMatch(/-|−0(\.0+)?(?![\d.])/);
    });
  });

table('formatCount', formatCount, [
  [0, '0'],
  [-0, '0'],
  [7, '7'],
  [999, '999'],
  [1000, '1,000'],
  [58144, '58,144'],
  [1234567.5, '1,234,568'],
  [-3, '−3'],
  [-0.4, '0'],
  [2.5, '3'],
]);

table('formatNumber with one decimal', (x) => formatNumber(x, 1), [
  [0, '0.0'],
  [-0, '0.0'],
  [-3.25, '−3.3'],
  [12.04, '12.0'],
  [1234.56, '1,234.6'],
  [-0.04, '0.0'],
]);

table('formatRate', formatRate, [
  [0.9734, '97.3%'],
  [1, '100.0%'],
  [0, '0.0%'],
  [-0, '0.0%'],
  [0.0105, '1.1%'],
  [0.99996, '100.0%'],
  [-0.02, '−2.0%'],
  [-0.0001, '0.0%'],
  [12.5, '1,250.0%'],
]);

table('formatRate with no decimals', (x) => formatRate(x, 0), [
  [0.125, '13%'],
  [0.73, '73%'],
  [0.004, '0%'],
]);

table('formatSignedPercent', formatSignedPercent, [
  [0.042, '+4.2%'],
  [-0.38, '−38.0%'],
  [0, '0.0%'],
  [-0, '0.0%'],
  [-0.0004, '0.0%'],
  [0.0005, '+0.1%'],
  [12.5, '+1,250.0%'],
]);

table('formatSignedPp', formatSignedPp, [
  [1.2, '+1.2 pp'],
  [-0.3, '−0.3 pp'],
  [-0.29, '−0.3 pp'],
  [0, '0.0 pp'],
  [-0, '0.0 pp'],
  [-0.04, '0.0 pp'],
  [0.05, '+0.1 pp'],
  [1.25, '+1.3 pp'],
  [-100, '−100.0 pp'],
]);

table('formatTimes', formatTimes, [
  [1.5, '1.5×'],
  [1.888, '1.89×'],
  [2, '2×'],
  [0, '0×'],
]);

table('formatUsd', formatUsd, [
  [0, '$0.00'],
  [-0, '$0.00'],
  [0.0042, '$0.0042'],
  [0.25, '$0.25'],
  [0.5, '$0.50'],
  [0.1234, '$0.12'],
  [0.04567, '$0.046'],
  [0.00042, '$0.0004'],
  [0.00004, '<$0.0001'],
  [0.99999, '$1.00'],
  [1, '$1.00'],
  [67.9, '$67.90'],
  [1234.56, '$1,234.56'],
  [9999.99, '$9,999.99'],
  [9999.994, '$9,999.99'],
  [9999.995, '$10,000'],
  [10000, '$10,000'],
  [12345.67, '$12,346'],
  [-0.4, '−$0.40'],
  [-0.0042, '−$0.0042'],
  [-12345.5, '−$12,346'],
]);

table('formatSignedUsd', formatSignedUsd, [
  [1.2, '+$1.20'],
  [-0.4, '−$0.40'],
  [0, '$0.00'],
  [-0, '$0.00'],
  [0.00004, '+<$0.0001'],
  [12345.67, '+$12,346'],
]);

table('formatMs', formatMs, [
  [0, '0 ms'],
  [830, '830 ms'],
  [999, '999 ms'],
  [999.4, '999 ms'],
  [999.5, '1.0 s'],
  [1000, '1.0 s'],
  [7775, '7.8 s'],
  [8271, '8.3 s'],
  [31800, '31.8 s'],
  [119949, '119.9 s'],
  [119999, '2.0 min'],
  [120000, '2.0 min'],
  [144265, '2.4 min'],
  [86_400_000, '1,440.0 min'],
  [-830, '−830 ms'],
  [-0, '0 ms'],
]);

describe('latencyFormat: one unit for values shown together, in which the smallest reads at least 1', () => {
  it.each<[label: string, values: Array<number | null>, shown: Array<number | null>, expected: string[]]>([
    ['s and s → s', [1200, 7775], [1200, 7775], ['1.2 s', '7.8 s']],
    ['ms and s → ms (0.8 s would read below 1)', [830, 7775], [830, 7775], ['830 ms', '7,775 ms']],
    ['s and min → s', [7700, 144265], [7700, 144265], ['7.7 s', '144.3 s']],
    ['min and min → min', [61_000, 144265], [61_000, 144265], ['1.0 min', '2.4 min']],
    ['all below 1 s → ms', [120, 830, null], [120, 830, null], ['120 ms', '830 ms', '–']],
    ['999.6 ms and 500 ms → ms', [999.6, 500], [999.6, 500], ['1,000 ms', '500 ms']],
    ['119,999 ms and 60,000 ms → min', [119999, 60000], [119999, 60000], ['2.0 min', '1.0 min']],
    ['119,949 ms stays in s', [119949, 1000], [119949, 1000], ['119.9 s', '1.0 s']],
    ['a negative value by its size', [-2000, 1500], [-2000, 1500], ['−2.0 s', '1.5 s']],
    ['no values: each by its own size', [], [830, 7775], ['830 ms', '7.8 s']],
    ['only missing values: each by its own size', [null, Number.NaN], [830, 144265], ['830 ms', '2.4 min']],
    [
      'non-finite values are ignored for the choice',
      [Number.POSITIVE_INFINITY, 830],
      [830, Number.NaN],
      ['830 ms', '–'],
    ],
  ])('%s', (_label, values, shown, expected) => {
    const f = latencyFormat(values);
    expect(shown.map(f)).toEqual(expected);
  });
});

table('formatAge (minutes)', formatAge, [
  [0, 'under 1 min'],
  [0.99, 'under 1 min'],
  [-5, 'under 1 min'],
  [1, '1 min'],
  [12, '12 min'],
  [12.4, '12 min'],
  [90, '90 min'],
  [119.4, '119 min'],
  [119.5, '2.0 h'],
  [150, '2.5 h'],
  [1440, '24.0 h'],
  [2874, '47.9 h'],
  [2877, '2.0 days'],
  [2880, '2.0 days'],
  [14400, '10.0 days'],
]);

table('formatDuration (ms)', formatDuration, [
  [0, '0 s'],
  [-5000, '0 s'],
  [45_000, '45 s'],
  [60_000, '1 min'],
  [42 * 60_000, '42 min'],
  [60 * 60_000, '1 h'],
  [185 * 60_000, '3 h 5 min'],
  [48 * 3_600_000, '2 days'],
  [52 * 3_600_000, '2 days 4 h'],
]);

describe('formatDelta: an arrow and the unsigned magnitude, or words', () => {
  it.each<[Delta, string, ReturnType<typeof deltaDirection>]>([
    [{ kind: 'relative', ratio: 0.042 }, '▲ 4.2%', 'up'],
    [{ kind: 'relative', ratio: -0.134 }, '▼ 13.4%', 'down'],
    [{ kind: 'relative', ratio: -0.181 }, '▼ 18.1%', 'down'],
    [{ kind: 'relative', ratio: -1 }, '▼ 100.0%', 'down'],
    [{ kind: 'relative', ratio: 12.5 }, '▲ 1,250.0%', 'up'],
    [{ kind: 'relative', ratio: 0.0005 }, '▲ 0.1%', 'up'],
    [{ kind: 'relative', ratio: -0.0004 }, 'no change', 'flat'],
    [{ kind: 'relative', ratio: 0 }, 'no change', 'flat'],
    [{ kind: 'points', points: -0.29 }, '▼ 0.3 pp', 'down'],
    [{ kind: 'points', points: 1.25 }, '▲ 1.3 pp', 'up'],
    [{ kind: 'points', points: 0.04 }, 'no change', 'flat'],
    [{ kind: 'points', points: -0 }, 'no change', 'flat'],
    [{ kind: 'unchanged-zero' }, 'no change', 'flat'],
    [{ kind: 'no-traffic', side: 'previous' }, 'no traffic before', 'none'],
    [{ kind: 'no-traffic', side: 'current' }, 'no traffic', 'none'],
    [{ kind: 'no-traffic', side: 'both' }, 'no traffic', 'none'],
  ])('%j → %s (%s)', (delta, text, direction) => {
    expect(formatDelta(delta)).toBe(text);
    expect(deltaDirection(delta)).toBe(direction);
  });
});
