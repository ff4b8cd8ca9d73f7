/**
 * The health score: 0–100, a weighted mean of four component scores, each 0–100. A component
 * without data (no traffic, no budget and no baseline) is left out and the weights of the others
 * are renormalised, so a quiet day is not scored as a bad one. Every component carries its value,
 * target, score and contribution, so a reader can see why the score is what it is. The formula is
 * documented, with a worked example, in the README ("Health score").
 */

import { formatAge, formatCount, formatRate, formatUsd, latencyFormat } from '../messages/format.js';

export interface HealthConfig {
  weights: { success_rate: number; latency: number; cost: number; freshness: number };
  /** Success rate (fraction) at or above `slo` scores 100; at or below `floor` scores 0. */
  success_rate: { slo: number; floor: number };
  /** p95 target per service type in ms (`default` for the rest); 2× the target scores 0. */
  latency_p95_ms: Record<string, number> & { default: number };
  /** Cost vs a budget: ≤ budget scores 100, ≥ `over_budget_zero` × budget scores 0. Without a
   *  budget, vs the baseline: ≤ `baseline_ok` × baseline scores 100, ≥ `baseline_zero` × scores 0. */
  cost: { over_budget_zero: number; baseline_ok: number; baseline_zero: number };
  /** Data and refresh age vs their limits: ≤ limit scores 100, ≥ `zero_at` × limit scores 0. */
  freshness: { zero_at: number };
}

export const DEFAULT_HEALTH: HealthConfig = {
  weights: { success_rate: 40, latency: 25, cost: 20, freshness: 15 },
  success_rate: { slo: 0.99, floor: 0.9 },
  latency_p95_ms: { default: 20_000, content: 15_000, images: 30_000, video: 240_000 },
  cost: { over_budget_zero: 1.5, baseline_ok: 1.2, baseline_zero: 2 },
  freshness: { zero_at: 4 },
};

export interface HealthInputs {
  /** Successful / total requests in the period; null when there was no traffic. */
  successRate: number | null;
  p95ByService: ReadonlyArray<{ serviceType: string; p95Ms: number | null; requests: number }>;
  costUsd: number;
  /** Budget for the period (USD), or null when none is configured. */
  budgetUsd: number | null;
  /** Expected cost for the period from history (e.g. same weekday, last 4 weeks), or null. */
  baselineUsd: number | null;
  /** Age of the newest api_usage row and of the last successful refresh, at report time. */
  dataAgeMinutes: number | null;
  refreshAgeMinutes: number | null;
  maxDataAgeMinutes: number;
  maxRefreshAgeMinutes: number;
  /** Requests in the period, and what the baseline expected (the mean of its periods with traffic). */
  requests?: number;
  expectedRequests?: number | null;
  /** The cost baseline's periods (e.g. the four same weekdays), and the rule that made it. */
  baselinePeriodsUsd?: number[];
  baselineRule?: string;
}

export type HealthKey = 'success_rate' | 'latency' | 'cost' | 'freshness';

/** What a component was computed from, as fields, so a reader can redo the arithmetic. */
export type HealthComponentInputs =
  | {
      successRate: number | null;
      requests: number | null;
      expectedRequests: number | null;
      slo: number;
      floor: number;
    }
  | { services: Array<{ serviceType: string; p95Ms: number; targetMs: number; requests: number; score: number }> }
  | {
      costUsd: number;
      basis: 'budget' | 'baseline' | 'none';
      budgetUsd: number | null;
      baselineUsd: number | null;
      baselinePeriodsUsd: number[];
      baselineRule: string | null;
    }
  | {
      dataAgeMinutes: number | null;
      refreshAgeMinutes: number | null;
      maxDataAgeMinutes: number;
      maxRefreshAgeMinutes: number;
      /** Which age decided the score: the one further past its limit. */
      decidedBy: 'data' | 'refresh' | null;
    };

export interface HealthComponent {
  key: HealthKey;
  inputs: HealthComponentInputs;
  /** The measured value in the component's own unit (fraction, ms, USD, minutes), or null. */
  value: number | null;
  /** What the value was compared with, in words ("SLO 99.0%", "budget $120.00"). */
  target: string;
  /** 0–100, or null when the component had no data and was left out. */
  score: number | null;
  weight: number;
  /** Points of the final score this component provides (the contributions add up to it). */
  contribution: number;
  note: string;
}

export interface HealthScore {
  score: number | null;
  components: HealthComponent[];
  /** Why the score is what it is when no weighted mean made it (a silent period scores 0). */
  override: string | null;
}

/** 100 at or below `good`, 0 at or above `bad`, linear in between (for "lower is better"). */
function descending(value: number, good: number, bad: number): number {
  if (value <= good) return 100;
  if (value >= bad) return 0;
  return (100 * (bad - value)) / (bad - good);
}

const pct = (x: number) => formatRate(x);
const usd = formatUsd;

function successComponent(i: HealthInputs, c: HealthConfig): Omit<HealthComponent, 'contribution'> {
  const { slo, floor } = c.success_rate;
  const base = {
    key: 'success_rate' as const,
    target: `SLO ${pct(slo)}`,
    weight: c.weights.success_rate,
    inputs: {
      successRate: i.successRate,
      requests: i.requests ?? null,
      expectedRequests: i.expectedRequests ?? null,
      slo,
      floor,
    },
  };
  if (i.successRate === null) return { ...base, value: null, score: null, note: 'no traffic' };
  const score = 100 - descending(i.successRate, floor, slo);
  return { ...base, value: i.successRate, score, note: `${pct(i.successRate)} (0 points at ${pct(floor)})` };
}

function latencyComponent(i: HealthInputs, c: HealthConfig): Omit<HealthComponent, 'contribution'> {
  const rated = i.p95ByService.filter((s) => s.p95Ms !== null && s.requests > 0);
  const base = { key: 'latency' as const, weight: c.weights.latency };
  if (rated.length === 0)
    return {
      ...base,
      inputs: { services: [] },
      value: null,
      target: 'p95 per service type',
      score: null,
      note: 'no latency data',
    };
  const total = rated.reduce((n, s) => n + s.requests, 0);
  const parts = rated.map((s) => {
    const target = c.latency_p95_ms[s.serviceType] ?? c.latency_p95_ms.default;
    // A service's p95 and its target are read together: one unit for both.
    const ms = latencyFormat([s.p95Ms, target]);
    return { ...s, target, ms, score: descending(s.p95Ms!, target, 2 * target) };
  });
  // Weighted by traffic: a slow service nobody uses should not sink the score.
  const score = parts.reduce((n, p) => n + (p.score * p.requests) / total, 0);
  const worst = parts.reduce((a, b) => (b.p95Ms! / b.target > a.p95Ms! / a.target ? b : a));
  return {
    ...base,
    inputs: {
      services: parts.map((p) => ({
        serviceType: p.serviceType,
        p95Ms: p.p95Ms!,
        targetMs: p.target,
        requests: p.requests,
        score: p.score,
      })),
    },
    value: worst.p95Ms,
    target: parts.map((p) => `${p.serviceType} ≤ ${p.ms(p.target)}`).join(', '),
    score,
    note: parts.map((p) => `${p.serviceType} p95 ${p.ms(p.p95Ms)}`).join(', '),
  };
}

function costComponent(i: HealthInputs, c: HealthConfig): Omit<HealthComponent, 'contribution'> {
  const inputs = (basis: 'budget' | 'baseline' | 'none') => ({
    costUsd: i.costUsd,
    basis,
    budgetUsd: i.budgetUsd,
    baselineUsd: i.baselineUsd,
    baselinePeriodsUsd: i.baselinePeriodsUsd ?? [],
    baselineRule: i.baselineRule ?? null,
  });
  const base = { key: 'cost' as const, value: i.costUsd, weight: c.weights.cost };
  if (i.budgetUsd !== null && i.budgetUsd > 0) {
    const ratio = i.costUsd / i.budgetUsd;
    return {
      ...base,
      inputs: inputs('budget'),
      target: `budget ${usd(i.budgetUsd)}`,
      score: descending(ratio, 1, c.cost.over_budget_zero),
      note: `${formatRate(ratio, 0)} of budget`,
    };
  }
  if (i.baselineUsd !== null && i.baselineUsd > 0) {
    const ratio = i.costUsd / i.baselineUsd;
    return {
      ...base,
      inputs: inputs('baseline'),
      target: `baseline ${usd(i.baselineUsd)}`,
      score: descending(ratio, c.cost.baseline_ok, c.cost.baseline_zero),
      note: `${formatRate(ratio, 0)} of baseline`,
    };
  }
  return { ...base, inputs: inputs('none'), target: 'no budget or baseline', score: null, note: 'not enough history' };
}

function freshnessComponent(i: HealthInputs, c: HealthConfig): Omit<HealthComponent, 'contribution'> {
  const dataRatio = i.dataAgeMinutes === null ? null : i.dataAgeMinutes / i.maxDataAgeMinutes;
  const refreshRatio = i.refreshAgeMinutes === null ? null : i.refreshAgeMinutes / i.maxRefreshAgeMinutes;
  const decidedBy: 'data' | 'refresh' | null =
    dataRatio === null ? 'data' : refreshRatio === null ? 'refresh' : dataRatio >= refreshRatio ? 'data' : 'refresh';
  const base = {
    key: 'freshness' as const,
    weight: c.weights.freshness,
    target: `data ≤ ${formatAge(i.maxDataAgeMinutes)}, refresh ≤ ${formatAge(i.maxRefreshAgeMinutes)}`,
    inputs: {
      dataAgeMinutes: i.dataAgeMinutes,
      refreshAgeMinutes: i.refreshAgeMinutes,
      maxDataAgeMinutes: i.maxDataAgeMinutes,
      maxRefreshAgeMinutes: i.maxRefreshAgeMinutes,
      decidedBy,
    },
  };
  if (i.dataAgeMinutes === null || i.refreshAgeMinutes === null) {
    return {
      ...base,
      value: null,
      score: 0,
      note: i.dataAgeMinutes === null ? 'no data has arrived' : 'never refreshed',
    };
  }
  const ratio = Math.max(dataRatio!, refreshRatio!);
  return {
    ...base,
    value: Math.max(i.dataAgeMinutes, i.refreshAgeMinutes),
    score: descending(ratio, 1, c.freshness.zero_at),
    note: `newest row ${formatAge(i.dataAgeMinutes)} old, refreshed ${formatAge(i.refreshAgeMinutes)} ago`,
  };
}

/**
 * A period without a single request where its baseline had traffic scores 0, whatever the other
 * components say: for an AI product, silence is usually the incident (a broken logger, a dead
 * integration, an outage upstream), and a quiet day must not look healthy because nothing failed.
 * Without traffic and without history (a fresh install) there is nothing to judge: no score.
 */
export function healthScore(inputs: HealthInputs, config: HealthConfig = DEFAULT_HEALTH): HealthScore {
  const parts = [successComponent, latencyComponent, costComponent, freshnessComponent].map((f) => f(inputs, config));
  const expected = inputs.expectedRequests ?? null;
  if (inputs.requests === 0 && expected !== null && expected > 0) {
    return {
      score: 0,
      components: parts.map((p) => ({ ...p, contribution: 0 })),
      override: `no traffic at all, where the baseline had ${formatCount(expected)} requests`,
    };
  }
  const scored = parts.filter((p) => p.score !== null && p.weight > 0);
  const weight = scored.reduce((n, p) => n + p.weight, 0);
  const components = parts.map((p) => ({
    ...p,
    contribution: p.score === null || weight === 0 ? 0 : (p.weight * p.score) / weight,
  }));
  if (weight === 0) return { score: null, components, override: null };
  return { score: Math.round(components.reduce((n, p) => n + p.contribution, 0)), components, override: null };
}
