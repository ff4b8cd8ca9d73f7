import { describe, expect, it } from 'vitest';
import { formatDelta } from '../../src/messages/format-delta.js';
import { pointsDelta, relativeDelta } from '../../src/metrics/deltas.js';

describe('relativeDelta', () => {
  it('cost 100 → 138 is +38%', () => {
    const delta = relativeDelta(138, 100);
    expect(delta.kind).toBe('relative');
    expect(delta.kind === 'relative' && delta.ratio).toBeCloseTo(0.38, 12);
    expect(formatDelta(delta)).toBe('▲ 38.0%');
  });

  it('requests 50 → 0 is an honest −100%', () => {
    expect(relativeDelta(0, 50)).toEqual({ kind: 'relative', ratio: -1 });
    expect(formatDelta(relativeDelta(0, 50))).toBe('▼ 100.0%');
  });

  it('p95 latency 200 ms → 240 ms is +20%, 240 → 180 is −25%', () => {
    expect(relativeDelta(240, 200)).toEqual({ kind: 'relative', ratio: 0.2 });
    expect(relativeDelta(180, 240)).toEqual({ kind: 'relative', ratio: -0.25 });
    expect(formatDelta(relativeDelta(180, 240))).toBe('▼ 25.0%');
  });

  it('no change reads "no change"', () => {
    expect(relativeDelta(100, 100)).toEqual({ kind: 'relative', ratio: 0 });
    expect(formatDelta(relativeDelta(100, 100))).toBe('no change');
  });

  it('empty periods say "no traffic"', () => {
    expect(relativeDelta(null, null)).toEqual({ kind: 'no-traffic', side: 'both' });
    expect(relativeDelta(null, 50)).toEqual({ kind: 'no-traffic', side: 'current' });
    expect(relativeDelta(50, null)).toEqual({ kind: 'no-traffic', side: 'previous' });
    expect(formatDelta(relativeDelta(null, null))).toBe('no traffic');
    expect(formatDelta(relativeDelta(null, 50))).toBe('no traffic');
    expect(formatDelta(relativeDelta(50, null))).toBe('no traffic before');
  });

  it('0 → 0 is unchanged-zero; 0 → something has no meaningful percentage', () => {
    expect(relativeDelta(0, 0)).toEqual({ kind: 'unchanged-zero' });
    expect(formatDelta(relativeDelta(0, 0))).toBe('no change');
    expect(relativeDelta(12.5, 0)).toEqual({ kind: 'no-traffic', side: 'previous' });
    expect(formatDelta(relativeDelta(12.5, 0))).toBe('no traffic before');
  });

  it('never returns NaN or Infinity', () => {
    const values = [null, 0, -0, 1, 50, 5e-324, 1e-300, 1e308, -1e308, -5];
    for (const cur of values) {
      for (const prev of values) {
        const delta = relativeDelta(cur, prev);
        if (delta.kind === 'relative') expect(Number.isFinite(delta.ratio)).toBe(true);
        expect(formatDelta(delta)).not.toMatch(/NaN|Infinity|∞/);
      }
    }
  });

  it('refuses NaN and infinite inputs instead of printing them', () => {
    expect(() => relativeDelta(Number.NaN, 1)).toThrow(/current must be a finite number or null/);
    expect(() => relativeDelta(1, Number.POSITIVE_INFINITY)).toThrow(/previous must be a finite number or null/);
  });
});

describe('pointsDelta', () => {
  it('success rate 97% → 95.5% is −1.5 pp', () => {
    const delta = pointsDelta(0.955, 0.97);
    expect(delta.kind).toBe('points');
    expect(delta.kind === 'points' && delta.points).toBeCloseTo(-1.5, 12);
    expect(formatDelta(delta)).toBe('▼ 1.5 pp');
    expect(formatDelta(pointsDelta(0.97, 0.955))).toBe('▲ 1.5 pp');
  });

  it('from 100% to 0% is −100 pp; equal rates are 0 pp, never −0', () => {
    expect(pointsDelta(0, 1)).toEqual({ kind: 'points', points: -100 });
    const same = pointsDelta(0, 0);
    expect(same).toEqual({ kind: 'points', points: 0 });
    expect(same.kind === 'points' && Object.is(same.points, 0)).toBe(true);
    expect(formatDelta(pointsDelta(0.5, 0.5))).toBe('no change');
  });

  it('a rate without traffic is "no traffic"', () => {
    expect(pointsDelta(null, null)).toEqual({ kind: 'no-traffic', side: 'both' });
    expect(pointsDelta(null, 0.97)).toEqual({ kind: 'no-traffic', side: 'current' });
    expect(pointsDelta(0.97, null)).toEqual({ kind: 'no-traffic', side: 'previous' });
    expect(formatDelta(pointsDelta(0.97, null))).toBe('no traffic before');
  });

  it('refuses values that are not fractions', () => {
    expect(() => pointsDelta(97, 95)).toThrow(/currentRate must be a fraction from 0 to 1/);
    expect(() => pointsDelta(0.9, -0.1)).toThrow(/previousRate/);
    expect(() => pointsDelta(Number.NaN, 0.5)).toThrow(RangeError);
  });
});
