import { describe, expect, it } from 'vitest';
import { BUILTIN_CHARTS } from '../../src/config/schema.js';
import type { Snapshot } from '../../src/metrics/snapshot.js';
import { chartMarks, periodDays, planChart } from '../../src/report/digest-charts.js';
import { latency, series } from '../charts/fixtures.js';
import { loadSnapshotFixture } from '../fixtures/digest-model.js';

/** The digest's charts get the report's day and the thresholds from the snapshot. */

const period = (start: string, end: string, timeZone = 'UTC') =>
  ({ period: { label: 'x', start, end, hours: 0 }, report: { name: 'r', period: 'day', timeZone } }) as Pick<
    Snapshot,
    'period' | 'report'
  >;

/** The daily fixture with the health inputs a current snapshot carries. */
function withInputs(): Snapshot {
  const s = loadSnapshotFixture('daily');
  const inputs: Record<string, unknown> = {
    success_rate: { successRate: 0.978, requests: 1000, expectedRequests: 1000, slo: 0.995, floor: 0.95 },
    latency: {
      services: [
        { serviceType: 'content', p95Ms: 9226, targetMs: 12_000, requests: 500, score: 100 },
        { serviceType: 'video', p95Ms: 145_047, targetMs: 200_000, requests: 40, score: 100 },
      ],
    },
  };
  return {
    ...s,
    health: {
      ...s.health,
      components: s.health.components.map((c) => ({ ...c, inputs: inputs[c.key] ?? c.inputs }) as never),
    },
  };
}

describe('the report days the 30-day charts mark', () => {
  it('a day, in the report time zone', () => {
    expect(periodDays(period('2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z'))).toEqual(['2026-11-24']);
    // Midnight to midnight in New York (UTC−5 in November).
    expect(periodDays(period('2026-11-24T05:00:00.000Z', '2026-11-25T05:00:00.000Z', 'America/New_York'))).toEqual([
      '2026-11-24',
    ]);
  });

  it('a week is seven days; a month is not shaded', () => {
    expect(periodDays(period('2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z'))).toEqual([
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
    ]);
    expect(periodDays(period('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'))).toEqual([]);
    expect(periodDays(period('bad', '2026-12-01T00:00:00.000Z'))).toEqual([]);
  });
});

describe('thresholds from the health components', () => {
  it('the SLO, floor and p95 targets the score used', () => {
    expect(chartMarks(withInputs())).toEqual({
      highlight: ['2026-11-24'],
      slo: 0.995,
      floor: 0.95,
      targetsMs: { content: 12_000, video: 200_000 },
    });
  });

  it('none when the snapshot does not carry them', () => {
    const m = chartMarks(loadSnapshotFixture('daily'));
    expect([m.slo, m.floor, m.targetsMs]).toEqual([null, null, {}]);
  });

  it('reach the specs: the SLO line and the targets', () => {
    const data = { snapshot: withInputs(), series: series('2026-11-24'), latency: latency('2026-11-24') };
    expect(JSON.stringify(planChart('requests_and_success_rate', data).spec)).toContain('SLO 99.5% dashed');
    const p95 = JSON.stringify(planChart('p95_by_service_type', data).spec);
    expect(p95).toContain('target 12.0 s dashed');
    // 200 s is past 2 min: the panel reads in minutes, one decimal.
    expect(p95).toContain('target 3.3 min dashed');
    expect(JSON.stringify(planChart('daily_cost_by_provider', data).spec)).toContain('Nov 24 (outlined)');
  });
});

describe('alt texts', () => {
  const data = { snapshot: withInputs(), series: series('2026-11-24'), latency: latency('2026-11-24') };

  it('say what the chart shows, without repeating its title', () => {
    for (const id of BUILTIN_CHARTS) {
      const plan = planChart(id, data);
      expect(plan.alt.toLowerCase().startsWith(plan.title.toLowerCase()), id).toBe(false);
      expect(plan.alt, id).toMatch(/\d/);
      // The preview page's caption drops a lead-in up to ": "; an alt without one stays whole.
      expect(plan.alt.slice(0, 100), id).not.toContain(': ');
    }
  });

  it('health components: the values measured, not only the scores', () => {
    const alt = planChart('health_components', data).alt;
    // The fixture's success rate is 0.978125 and its score 86.8; the SLO comes from the inputs.
    expect(alt).toContain('Success rate 97.8%, SLO 99.5% (score 87)');
    expect(alt).toContain('Cost $67.90');
  });

  it('providers compared: below the SLO with their request counts', () => {
    const alt = planChart('provider_comparison', data).alt;
    const s = data.snapshot;
    const below = s.operations.filter((o) => o.requests > 0 && o.successRate !== null && o.successRate < 0.995);
    expect(alt).toContain(
      `${below.length} of ${s.operations.length} provider and service pairs were below the 99.5% SLO`,
    );
    expect(alt).toMatch(/of \d+ calls/);
  });
});
