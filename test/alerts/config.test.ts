import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_RULE_NAMES, defaultAlertRules } from '../../src/alerts/default-rules.js';
import type { AlertRule } from '../../src/alerts/rules.js';
import { alertsSchema } from '../../src/config/alerts-schema.js';

/** The problems as the config loader prints them: "dotted.key: message". */
function problems(input: unknown): string[] {
  const result = alertsSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
}

const mine = (rule: Record<string, unknown>) => ({ rules: { mine: { routes: { slack: ['#ops'] }, ...rule } } });

describe('defaults', () => {
  const parsed = alertsSchema.parse({});

  it('an empty section gives the schedule, zone and the seven default rules', () => {
    expect(parsed.evaluate_schedule).toBe('*/15 * * * * *');
    expect(parsed.timezone).toBe('UTC');
    expect(parsed.maintenance_windows).toEqual([]);
    expect(Object.keys(parsed.rules).sort()).toEqual([
      'cost_vs_baseline',
      'delivery_failures',
      'no_new_rows',
      'p95_latency',
      'provider_success_rate',
      'refresh_stale',
      'success_rate',
    ]);
    expect([...DEFAULT_RULE_NAMES].sort()).toEqual(Object.keys(parsed.rules).sort());
  });

  it('the default rules pass their own validation unchanged', () => {
    expect(problems({ rules: defaultAlertRules() })).toEqual([]);
    expect(parsed.rules).toEqual(defaultAlertRules());
  });

  it('says what the issue asks for (checked by hand against issue 7)', () => {
    const r = parsed.rules;
    expect(r.success_rate).toMatchObject({
      metric: 'success_rate',
      scope: 'all',
      window_minutes: 15,
      min_requests: 50,
      severity: 'critical',
      condition: { type: 'threshold', op: '<', value: 0.95 },
      routes: { slack: ['#ai-oncall'], email: ['oncall@example.com'] },
    });
    expect(r.provider_success_rate).toMatchObject({
      scope: 'provider',
      window_minutes: 10,
      min_requests: 20,
      condition: { type: 'threshold', op: '<', value: 0.8 },
    });
    expect(r.cost_vs_baseline).toMatchObject({
      metric: 'cost_usd',
      window_minutes: 'today',
      condition: { type: 'change', op: '>', ratio: 1.5 },
    });
    expect(r.p95_latency).toMatchObject({ metric: 'p95_latency_ms', condition: { type: 'change', op: '>', ratio: 2 } });
    expect(r.no_new_rows).toMatchObject({
      metric: 'minutes_since_newest_row',
      window_minutes: null,
      condition: { type: 'threshold', op: '>', value: 30 },
      no_data: 'alert',
    });
    expect(r.refresh_stale).toMatchObject({
      metric: 'refresh_age_minutes',
      condition: { type: 'threshold', op: '>', value: 10 },
    });
    expect(r.delivery_failures).toMatchObject({
      metric: 'delivery_failures',
      condition: { type: 'threshold', op: '>', value: 0 },
    });
  });

  it('hands out copies: changing one does not change the defaults', () => {
    defaultAlertRules().success_rate!.routes.slack.push('#mutated');
    expect(defaultAlertRules().success_rate!.routes.slack).toEqual(['#ai-oncall']);
  });
});

describe('rules merge over the defaults by name', () => {
  it('enabled: false switches a default off and keeps its other keys', () => {
    const r = alertsSchema.parse({ rules: { success_rate: { enabled: false } } }).rules;
    expect(r.success_rate).toEqual({ ...defaultAlertRules().success_rate, enabled: false });
    expect(Object.keys(r)).toHaveLength(7);
  });

  it('a key set on a default replaces that key whole (routes, condition)', () => {
    const r = alertsSchema.parse({
      rules: {
        provider_success_rate: {
          routes: { email: ['ops@example.com'] },
          condition: { type: 'threshold', op: '<', value: 0.85 },
        },
      },
    }).rules.provider_success_rate!;
    expect(r.routes).toEqual({ slack: [], email: ['ops@example.com'] });
    expect(r.condition).toEqual({ type: 'threshold', op: '<', value: 0.85 });
    expect(r.recovery).toBe(0.9);
    expect(r.window_minutes).toBe(10);
  });

  it('a new name adds a rule with the documented defaults for what it leaves out', () => {
    const r = alertsSchema.parse(
      mine({
        metric: 'requests',
        window_minutes: 60,
        condition: { type: 'change', vs: 'same_weekday', op: '<', ratio: 0.5 },
      }),
    ).rules;
    expect(Object.keys(r)).toHaveLength(8);
    const expected: AlertRule = {
      metric: 'requests',
      scope: 'all',
      window_minutes: 60,
      condition: { type: 'change', vs: 'same_weekday', op: '<', ratio: 0.5 },
      min_requests: 0,
      pending_minutes: 0,
      recovery: null,
      repeat_minutes: null,
      no_data: 'keep',
      severity: 'warning',
      routes: { slack: ['#ops'], email: [] },
      runbook_url: null,
      enabled: true,
    };
    expect(r.mine).toEqual(expected);
  });

  it('repeat_minutes 0 means never, spelled null; numbers may be strings from ${ENV}', () => {
    const r = alertsSchema.parse({
      rules: { success_rate: { repeat_minutes: 0, window_minutes: '20', min_requests: '80' } },
    }).rules.success_rate!;
    expect(r.repeat_minutes).toBeNull();
    expect(r.window_minutes).toBe(20);
    expect(r.min_requests).toBe(80);
  });
});

describe('errors name the key and say what is expected', () => {
  it('a recovery on the breaching side of the threshold', () => {
    expect(problems({ rules: { success_rate: { recovery: 0.93 } } })).toEqual([
      'rules.success_rate.recovery: recovery 0.93 is on the breaching side of condition.value 0.95: the rule breaches below 0.95, so recovery (where a firing alert counts as healthy again) must be at or above 0.95, or null to resolve at 0.95 itself',
    ]);
    expect(
      problems(
        mine({
          metric: 'cost_usd',
          window_minutes: 60,
          condition: { type: 'change', vs: 'previous_day', op: '>', ratio: 1.5 },
          recovery: 1.6,
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^rules\.mine\.recovery: recovery 1\.6 is on the breaching side of condition\.ratio 1\.5: .* must be at or below 1\.5/,
      ),
    ]);
  });

  it('a rate written as a percentage', () => {
    expect(
      problems({ rules: { success_rate: { condition: { type: 'threshold', op: '<', value: 95 }, recovery: 97 } } }),
    ).toEqual([
      'rules.success_rate.condition.value: expected success_rate as a fraction between 0 and 1 (0.95 for 95%), got 95',
      'rules.success_rate.recovery: expected success_rate as a fraction between 0 and 1 (0.95 for 95%), got 97',
    ]);
  });

  it('unknown keys, metrics, ops and condition types', () => {
    expect(problems({ rules: { success_rate: { windowminutes: 15 } } })).toEqual([
      'rules.success_rate: Unrecognized key: "windowminutes"',
    ]);
    expect(
      problems(mine({ metric: 'latency', window_minutes: 5, condition: { type: 'threshold', op: '>', value: 1 } })),
    ).toEqual([expect.stringMatching(/^rules\.mine\.metric: expected a metric: one of success_rate, error_rate, /)]);
    expect(
      problems(mine({ metric: 'requests', window_minutes: 5, condition: { type: 'threshold', op: '>=', value: 1 } })),
    ).toEqual(['rules.mine.condition.op: expected op "<" (breach below) or ">" (breach above)']);
    expect(
      problems(mine({ metric: 'requests', window_minutes: 5, condition: { type: 'limit', op: '>', value: 1 } })),
    ).toEqual([
      'rules.mine.condition.type: expected a condition with type: threshold (op, value) or type: change (vs, op, ratio)',
    ]);
    expect(
      problems(
        mine({
          metric: 'requests',
          window_minutes: 5,
          condition: { type: 'change', vs: 'last_year', op: '>', ratio: 2 },
        }),
      ),
    ).toEqual(['rules.mine.condition.vs: expected vs: one of previous_day, same_weekday, baseline_4w']);
  });

  it('rule names, windows and whole numbers', () => {
    expect(problems({ rules: { 'Cost Spike': { metric: 'cost_usd' } } })).toEqual([
      'rules.Cost Spike: rule names are lower-case letters, digits, - and _, got "Cost Spike"',
    ]);
    expect(problems({ rules: { success_rate: { window_minutes: 'yesterday' } } })).toEqual([
      'rules.success_rate.window_minutes: expected a number of minutes (a whole number from 1 to 43200, 30 days) or "today", got "yesterday"',
    ]);
    expect(problems({ rules: { success_rate: { window_minutes: 2.5 } } })).toEqual([
      'rules.success_rate.window_minutes: expected a number of minutes (a whole number from 1 to 43200, 30 days) or "today", got 2.5',
    ]);
    expect(problems({ rules: { success_rate: { pending_minutes: -1 } } })).toEqual([
      'rules.success_rate.pending_minutes: expected a number of minutes: a whole number from 0 to 10080 (a week), got -1',
    ]);
    expect(problems({ rules: { success_rate: { repeat_minutes: 10081 } } })).toEqual([
      'rules.success_rate.repeat_minutes: expected a number of minutes, 0 for never: a whole number from 0 to 10080 (a week), got 10081',
    ]);
  });

  it('keys that do not fit the metric', () => {
    expect(problems({ rules: { no_new_rows: { window_minutes: 30 } } })).toEqual([
      'rules.no_new_rows.window_minutes: minutes_since_newest_row is measured at an instant: leave window_minutes out (null)',
    ]);
    expect(problems(mine({ metric: 'cost_usd', condition: { type: 'threshold', op: '>', value: 100 } }))).toEqual([
      'rules.mine.window_minutes: cost_usd needs a window: expected a number of minutes (a whole number from 1 to 43200, 30 days) or "today"',
    ]);
    expect(problems({ rules: { refresh_stale: { scope: 'provider' } } })).toEqual([
      'rules.refresh_stale.scope: refresh_age_minutes has no provider, model or service type: scope must be all',
    ]);
    expect(
      problems({
        rules: {
          delivery_failures: { condition: { type: 'change', vs: 'previous_day', op: '>', ratio: 2 }, min_requests: 10 },
        },
      }),
    ).toEqual([
      'rules.delivery_failures.condition.type: delivery_failures has no baseline to compare with: use type: threshold',
      'rules.delivery_failures.min_requests: delivery_failures has no request count: leave min_requests at 0',
    ]);
  });

  it('an enabled rule with nowhere to go', () => {
    expect(problems({ rules: { success_rate: { routes: { slack: [] } } } })).toEqual([
      'rules.success_rate.routes: an enabled rule needs at least one Slack channel, email address, PagerDuty key or webhook (or enabled: false)',
    ]);
    expect(problems({ rules: { success_rate: { routes: { slack: [] }, enabled: false } } })).toEqual([]);
    expect(problems({ rules: { success_rate: { routes: { slack: ['ops'] } } } })).toEqual([
      'rules.success_rate.routes.slack.0: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD", got "ops"',
    ]);
  });

  it('the evaluation schedule and zone', () => {
    expect(problems({ evaluate_schedule: 'every minute' })).toEqual([
      'evaluate_schedule: expected a cron expression such as "*/5 * * * *": 5 fields (minute hour day month weekday), or 6 with leading seconds, got "every minute"',
    ]);
    expect(problems({ timezone: 'Mars/Olympus_Mons' })).toEqual([
      'timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC", got "Mars/Olympus_Mons"',
    ]);
  });
});

describe('maintenance windows', () => {
  it('one window (ISO instants) or a recurring one (cron in its time zone)', () => {
    const a = alertsSchema.parse({
      maintenance_windows: [
        { name: 'db upgrade', start: '2026-03-28T22:00:00Z', end: '2026-03-29T02:00:00+02:00', rules: ['no_new_rows'] },
        { name: 'sunday backups', cron: '0 2 * * 0', duration_minutes: 120, timezone: 'Europe/Berlin' },
        { name: 'utc by default', cron: '0 3 * * *', duration_minutes: 15 },
      ],
    });
    expect(a.maintenance_windows).toEqual([
      {
        name: 'db upgrade',
        rules: ['no_new_rows'],
        start: new Date('2026-03-28T22:00:00Z'),
        end: new Date('2026-03-29T00:00:00Z'),
      },
      { name: 'sunday backups', rules: null, cron: '0 2 * * 0', duration_minutes: 120, timezone: 'Europe/Berlin' },
      { name: 'utc by default', rules: null, cron: '0 3 * * *', duration_minutes: 15, timezone: 'UTC' },
    ]);
  });

  it('refuses half shapes, mixed shapes, local times, an end before the start and unknown rules', () => {
    expect(problems({ maintenance_windows: [{ name: 'x', cron: '0 2 * * 0' }] })).toEqual([
      'maintenance_windows.0.duration_minutes: expected duration_minutes: how long the window stays open',
    ]);
    expect(
      problems({
        maintenance_windows: [{ name: 'x', start: '2026-03-28T22:00:00Z', cron: '0 2 * * 0', duration_minutes: 5 }],
      }),
    ).toEqual([
      'maintenance_windows.0: expected either start and end (one window) or cron, duration_minutes and timezone (a recurring window), not both',
    ]);
    expect(
      problems({ maintenance_windows: [{ name: 'x', start: '2026-03-28 22:00', end: '2026-03-29T01:00:00Z' }] }),
    ).toEqual([
      'maintenance_windows.0.start: expected an ISO 8601 instant with an offset, such as "2026-03-28T22:00:00Z", got "2026-03-28 22:00"',
    ]);
    expect(
      problems({ maintenance_windows: [{ name: 'x', start: '2026-03-29T01:00:00Z', end: '2026-03-29T01:00:00Z' }] }),
    ).toEqual(['maintenance_windows.0.end: expected end after start (2026-03-29T01:00:00Z)']);
    expect(
      problems({
        maintenance_windows: [
          { name: 'x', cron: '0 2 * * 0', duration_minutes: 5, rules: ['success_rate', 'sucess_rate'] },
        ],
      }),
    ).toEqual([
      expect.stringMatching(
        /^maintenance_windows\.0\.rules\.1: unknown rule "sucess_rate" \(rules: cost_vs_baseline, /,
      ),
    ]);
  });
});

it('has a JSON Schema for editors (what src/config/json-schema.ts generates)', () => {
  const schema = z.toJSONSchema(alertsSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, unknown>;
  };
  expect(Object.keys(schema.properties).sort()).toEqual([
    'evaluate_schedule',
    'maintenance_windows',
    'rules',
    'slack_responders',
    'timezone',
  ]);
});

describe('alerts.slack_responders', () => {
  it('takes user and group ids and refuses names', () => {
    expect(alertsSchema.parse({ slack_responders: ['U012AB3CD', 'S0ONCALL1'] }).slack_responders).toEqual([
      'U012AB3CD',
      'S0ONCALL1',
    ]);
    expect(alertsSchema.parse({}).slack_responders).toEqual([]);
    const r = alertsSchema.safeParse({ slack_responders: ['U012AB3CD', '@alice'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['slack_responders', 1]);
    expect(r.error?.issues[0]?.message).toMatch(/Slack user id .* not a name/);
  });
});
