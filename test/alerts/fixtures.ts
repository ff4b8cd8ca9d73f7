import type { NamedAlertRule } from '../../src/alerts/rules.js';

/**
 * A success-rate rule like the default one (written out here, not taken from the defaults, so
 * changing a default cannot quietly change what these tests check).
 */
export function successRule(overrides: Partial<NamedAlertRule> = {}): NamedAlertRule {
  return {
    name: 'success_rate',
    metric: 'success_rate',
    scope: 'all',
    window_minutes: 15,
    condition: { type: 'threshold', op: '<', value: 0.95 },
    min_requests: 50,
    pending_minutes: 0,
    recovery: 0.97,
    repeat_minutes: null,
    no_data: 'keep',
    severity: 'critical',
    routes: { slack: ['#ai-oncall'], email: [] },
    runbook_url: null,
    enabled: true,
    ...overrides,
  };
}

export const at = (iso: string) => new Date(iso);

/** n api_usage rows over the 15 minutes before `end`, the first `failures` failed with `overloaded`. */
export function failingCalls(n: number, failures: number, end: Date) {
  return Array.from({ length: n }, (_, i) => ({
    created_at: new Date(end.getTime() - ((i + 0.5) / n) * 15 * 60_000),
    provider: 'openai',
    service_type: 'content',
    model: 'gpt-4o-mini',
    cost_usd: 0.01,
    latency_ms: 900,
    success: i >= failures,
    error_code: i < failures ? 'overloaded' : null,
  }));
}
