import { describe, expect, it } from 'vitest';
import { evaluateRule, evaluateScope } from '../../src/alerts/evaluate.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import { at, successRule } from './fixtures.js';

const NOW = at('2026-03-08T06:59:00Z');

describe('threshold conditions', () => {
  const rule = successRule({ recovery: 0.97, min_requests: 50 });
  const judge = (value: number) => evaluateScope(rule, 'all', { value, requests: 200 }, NOW);

  it('"<" breaches strictly below the value', () => {
    expect(judge(0.949)).toMatchObject({
      status: 'breach',
      recovered: false,
      threshold: 0.95,
      recoveryThreshold: 0.97,
    });
    expect(judge(0.95)).toMatchObject({ status: 'ok', recovered: false });
  });

  it('between threshold and recovery is ok but not recovered; at or past recovery is recovered', () => {
    expect(judge(0.969)).toMatchObject({ status: 'ok', recovered: false });
    expect(judge(0.97)).toMatchObject({ status: 'ok', recovered: true });
    expect(judge(1)).toMatchObject({ status: 'ok', recovered: true });
  });

  it('without a recovery, ok is recovered', () => {
    expect(evaluateScope(successRule({ recovery: null }), 'all', { value: 0.95, requests: 200 }, NOW)).toMatchObject({
      status: 'ok',
      recovered: true,
      recoveryThreshold: 0.95,
    });
  });

  it('">" breaches strictly above the value', () => {
    const stale: NamedAlertRule = {
      ...successRule(),
      name: 'no_new_rows',
      metric: 'minutes_since_newest_row',
      window_minutes: null,
      condition: { type: 'threshold', op: '>', value: 30 },
      min_requests: 0,
      recovery: 20,
    };
    expect(evaluateScope(stale, 'all', { value: 31, requests: 0 }, NOW)).toMatchObject({ status: 'breach' });
    expect(evaluateScope(stale, 'all', { value: 30, requests: 0 }, NOW)).toMatchObject({
      status: 'ok',
      recovered: false,
    });
    expect(evaluateScope(stale, 'all', { value: 20, requests: 0 }, NOW)).toMatchObject({
      status: 'ok',
      recovered: true,
    });
  });

  it('keeps what it was given for the message: value, requests, time, contributors largest first', () => {
    const e = evaluateScope(
      rule,
      'all',
      {
        value: 0.9,
        requests: 520,
        contributors: [
          { kind: 'error_code', name: 'timeout', count: 11 },
          { kind: 'error_code', name: 'rate_limited', count: 41 },
        ],
      },
      NOW,
    );
    expect(e).toMatchObject({
      rule: 'success_rate',
      scope: 'all',
      at: NOW,
      value: 0.9,
      requests: 520,
      baseline: null,
      ratio: null,
    });
    expect(e.contributors.map((c) => c.name)).toEqual(['rate_limited', 'timeout']);
  });
});

describe('change conditions', () => {
  const cost: NamedAlertRule = {
    ...successRule(),
    name: 'cost_vs_baseline',
    metric: 'cost_usd',
    window_minutes: 'today',
    condition: { type: 'change', vs: 'baseline_4w', op: '>', ratio: 1.5 },
    min_requests: 200,
    recovery: 1.3,
  };
  const judge = (value: number, baseline: number | null, requests = 1000) =>
    evaluateScope(cost, 'all', { value, requests, baseline }, NOW);

  it('compares with ratio × baseline: $900 against a $500 baseline is 1.8×, above 1.5× ($750)', () => {
    expect(judge(900, 500)).toMatchObject({
      status: 'breach',
      threshold: 750,
      recoveryThreshold: 650,
      ratio: 1.8,
      baseline: 500,
    });
    expect(judge(750, 500)).toMatchObject({ status: 'ok', recovered: false });
    expect(judge(700, 500)).toMatchObject({ status: 'ok', recovered: false });
    expect(judge(650, 500)).toMatchObject({ status: 'ok', recovered: true });
  });

  it('"<" for drops: requests below half of the previous day', () => {
    const drop: NamedAlertRule = {
      ...cost,
      metric: 'requests',
      window_minutes: 60,
      condition: { type: 'change', vs: 'previous_day', op: '<', ratio: 0.5 },
      recovery: 0.8,
      min_requests: 0,
    };
    expect(evaluateScope(drop, 'all', { value: 40, requests: 40, baseline: 100 }, NOW)).toMatchObject({
      status: 'breach',
      threshold: 50,
      ratio: 0.4,
    });
    expect(evaluateScope(drop, 'all', { value: 70, requests: 70, baseline: 100 }, NOW)).toMatchObject({
      status: 'ok',
      recovered: false,
    });
    expect(evaluateScope(drop, 'all', { value: 80, requests: 80, baseline: 100 }, NOW)).toMatchObject({
      status: 'ok',
      recovered: true,
    });
  });

  it('without a baseline (none, or 0) there is nothing to compare with: no data', () => {
    expect(judge(900, null)).toMatchObject({
      status: 'no_data',
      noDataReason: 'no_baseline',
      threshold: null,
      ratio: null,
    });
    expect(judge(900, 0)).toMatchObject({ status: 'no_data', noDataReason: 'no_baseline' });
    expect(evaluateScope(cost, 'all', { value: 900, requests: 1000 }, NOW)).toMatchObject({
      status: 'no_data',
      noDataReason: 'no_baseline',
    });
  });
});

describe('volume floor and missing values', () => {
  const rule = successRule({ min_requests: 50 });

  it('below min_requests is low volume, whatever the value', () => {
    expect(evaluateScope(rule, 'all', { value: 0.2, requests: 49 }, NOW)).toMatchObject({
      status: 'low_volume',
      recovered: false,
      noDataReason: null,
    });
    expect(evaluateScope(rule, 'all', { value: 0.2, requests: 50 }, NOW)).toMatchObject({ status: 'breach' });
  });

  it('a null value or no observation at all is no data', () => {
    expect(evaluateScope(rule, 'all', { value: null, requests: 0 }, NOW)).toMatchObject({
      status: 'no_data',
      noDataReason: 'no_value',
      requests: 0,
    });
    expect(evaluateScope(rule, 'all', null, NOW)).toMatchObject({ status: 'no_data', noDataReason: 'no_value' });
  });

  it('refuses NaN, infinities and negative request counts (a bug upstream, not a measurement)', () => {
    expect(() => evaluateScope(rule, 'all', { value: Number.NaN, requests: 100 }, NOW)).toThrow(RangeError);
    expect(() =>
      evaluateScope(rule, 'all', { value: 0.9, requests: 100, baseline: Number.POSITIVE_INFINITY }, NOW),
    ).toThrow(RangeError);
    expect(() => evaluateScope(rule, 'all', { value: 0.9, requests: -1 }, NOW)).toThrow(RangeError);
  });
});

describe('evaluateRule over scopes', () => {
  const perProvider = successRule({
    name: 'provider_success_rate',
    scope: 'provider',
    min_requests: 20,
    recovery: 0.9,
    condition: { type: 'threshold', op: '<', value: 0.8 },
  });

  it('judges each provider on its own, in scope order', () => {
    const out = evaluateRule(
      perProvider,
      new Map([
        ['provider=openai', { value: 0.99, requests: 300 }],
        ['provider=anthropic', { value: 0.62, requests: 40 }],
        ['provider=luma', { value: 0.5, requests: 4 }],
      ]),
      NOW,
    );
    expect(out.map((e) => [e.scope, e.status])).toEqual([
      ['provider=anthropic', 'breach'],
      ['provider=luma', 'low_volume'],
      ['provider=openai', 'ok'],
    ]);
  });

  it('an open scope that was not observed is no data (a provider that went silent while firing)', () => {
    const out = evaluateRule(perProvider, { 'provider=openai': { value: 0.99, requests: 300 } }, NOW, [
      'provider=runway',
    ]);
    expect(out.map((e) => [e.scope, e.status])).toEqual([
      ['provider=openai', 'ok'],
      ['provider=runway', 'no_data'],
    ]);
  });

  it('scope all is always evaluated, even with nothing observed', () => {
    expect(evaluateRule(successRule(), {}, NOW).map((e) => [e.scope, e.status])).toEqual([['all', 'no_data']]);
    expect(evaluateRule(perProvider, {}, NOW)).toEqual([]);
  });

  it('refuses an observation keyed for another scope', () => {
    expect(() => evaluateRule(perProvider, { 'model=gpt-4o': { value: 1, requests: 30 } }, NOW)).toThrow(
      /scope provider/,
    );
    expect(() => evaluateRule(perProvider, { openai: { value: 1, requests: 30 } }, NOW)).toThrow(/not a scope key/);
  });
});
