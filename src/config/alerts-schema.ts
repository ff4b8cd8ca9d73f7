import { z } from 'zod';
import { boundedNumber, cron, got, httpUrl, numberLike, timeZone, whenValid, wholeNumber } from './fields.js';
import { alertRoutesSchema } from './route-fields.js';
import { DEFAULT_EVALUATE_SCHEDULE, defaultAlertRules } from '../alerts/default-rules.js';
import {
  ALERT_METRICS,
  ALERT_SCOPES,
  CHANGE_BASELINES,
  INSTANT_METRICS,
  NO_DATA_POLICIES,
  RATE_METRICS,
  SEVERITIES,
  SYSTEM_METRICS,
  UNSCOPED_METRICS,
  type AlertRule,
  type AlertsConfig,
  type MaintenanceWindow,
} from '../alerts/rules.js';

/**
 * The `alerts:` section of the config. Like the rest of the config, every object is strict and
 * every message says what was expected.
 *
 * Rules merge over the defaults (src/alerts/default-rules.ts) by name:
 * - a rule named like a default overrides the keys it sets and keeps the others; a key it sets
 *   replaces the default's value whole (a new `condition` or `routes` is not mixed with the old);
 * - `enabled: false` switches a default off (`success_rate: { enabled: false }`);
 * - any other name adds a rule.
 * So upgrading pulsebot brings new default rules in, and a config never has to copy a default
 * to change one key of it.
 */

const WEEK_MINUTES = 10_080;
const MONTH_MINUTES = 43_200;

/** Thresholds compare with costs, counts, latencies and fractions: any finite number a metric can reach. */
const finiteNumber = (what: string) =>
  boundedNumber(`expected ${what}: a number from -1e12 to 1e12`, { min: -1e12, max: 1e12 });

const RULE_NAME_MESSAGE = 'rule names are lower-case letters, digits, - and _';
const ruleName = z.string().regex(/^[a-z][a-z0-9_-]*$/, RULE_NAME_MESSAGE);

/** An instant with its offset: "2026-03-28T22:00:00Z" or "…+01:00"; a local time would be ambiguous. */
const isoInstant = z
  .string({ error: 'expected an ISO 8601 instant with an offset, such as "2026-03-28T22:00:00Z"' })
  .refine(
    (v) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
    {
      error: (issue) =>
        `expected an ISO 8601 instant with an offset, such as "2026-03-28T22:00:00Z"${got(issue.input)}`,
    },
  );

const op = z.enum(['<', '>'], { error: 'expected op "<" (breach below) or ">" (breach above)' });

const conditionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('threshold'),
      op,
      value: finiteNumber('the threshold'),
    }),
    z.strictObject({
      type: z.literal('change'),
      vs: z.enum(CHANGE_BASELINES, { error: `expected vs: one of ${CHANGE_BASELINES.join(', ')}` }),
      op,
      ratio: boundedNumber('expected a ratio to the baseline: a number above 0, at most 1000 (1.5 = 150%)', {
        gt: 0,
        max: 1000,
      }),
    }),
  ],
  { error: 'expected a condition with type: threshold (op, value) or type: change (vs, op, ratio)' },
);

const WINDOW_MESSAGE = `expected a number of minutes (a whole number from 1 to ${MONTH_MINUTES}, 30 days) or "today"`;
const windowMinutes = numberLike(
  z.union([z.number().int().min(1).max(MONTH_MINUTES), z.literal('today')], {
    error: (issue) => `${WINDOW_MESSAGE}${got(issue.input)}`,
  }),
);

const ruleObject = z.strictObject({
  metric: z.enum(ALERT_METRICS, { error: `expected a metric: one of ${ALERT_METRICS.join(', ')}` }),
  scope: z.enum(ALERT_SCOPES, { error: `expected a scope: one of ${ALERT_SCOPES.join(', ')}` }).default('all'),
  window_minutes: windowMinutes.nullable().default(null),
  condition: conditionSchema,
  min_requests: wholeNumber('a number of requests', 0, 1_000_000_000).default(0),
  pending_minutes: wholeNumber('a number of minutes', 0, WEEK_MINUTES, 'a week').default(0),
  recovery: finiteNumber('a recovery threshold').nullable().default(null),
  repeat_minutes: wholeNumber('a number of minutes, 0 for never', 0, WEEK_MINUTES, 'a week').nullable().default(null),
  no_data: z
    .enum(NO_DATA_POLICIES, { error: `expected no_data: one of ${NO_DATA_POLICIES.join(', ')}` })
    .default('keep'),
  severity: z.enum(SEVERITIES, { error: `expected a severity: one of ${SEVERITIES.join(', ')}` }).default('warning'),
  routes: alertRoutesSchema.prefault({}),
  runbook_url: httpUrl.nullable().default(null),
  enabled: z.boolean({ error: 'expected true or false' }).default(true),
});

type RuleFields = z.output<typeof ruleObject>;

/** The checks that span keys; each issue is placed on the key the user has to change. */
function checkRule(r: RuleFields, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const instant = INSTANT_METRICS.includes(r.metric);
  if (instant && r.window_minutes !== null) {
    issue(['window_minutes'], `${r.metric} is measured at an instant: leave window_minutes out (null)`);
  }
  if (!instant && r.window_minutes === null) {
    issue(['window_minutes'], `${r.metric} needs a window: ${WINDOW_MESSAGE}`);
  }
  if (UNSCOPED_METRICS.includes(r.metric) && r.scope !== 'all') {
    issue(['scope'], `${r.metric} has no provider, model or service type: scope must be all`);
  }
  if (SYSTEM_METRICS.includes(r.metric)) {
    if (r.condition.type === 'change')
      issue(['condition', 'type'], `${r.metric} has no baseline to compare with: use type: threshold`);
    if (r.min_requests > 0) issue(['min_requests'], `${r.metric} has no request count: leave min_requests at 0`);
  }
  const c = r.condition;
  let rateOutOfRange = false;
  if (RATE_METRICS.includes(r.metric) && c.type === 'threshold') {
    const fraction = (v: number) => v >= 0 && v <= 1;
    const expected = `expected ${r.metric} as a fraction between 0 and 1 (0.95 for 95%)`;
    rateOutOfRange = !fraction(c.value);
    if (rateOutOfRange) issue(['condition', 'value'], `${expected}, got ${c.value}`);
    if (r.recovery !== null && !fraction(r.recovery)) issue(['recovery'], `${expected}, got ${r.recovery}`);
  }
  // A recovery is only judged against a threshold that is itself valid.
  if (r.recovery !== null && !rateOutOfRange) {
    const [what, at] = c.type === 'threshold' ? ['condition.value', c.value] : ['condition.ratio', c.ratio];
    const healthy = c.op === '<' ? r.recovery >= at : r.recovery <= at;
    if (!healthy) {
      const side = c.op === '<' ? 'at or above' : 'at or below';
      issue(
        ['recovery'],
        `recovery ${r.recovery} is on the breaching side of ${what} ${at}: the rule breaches ${c.op === '<' ? 'below' : 'above'} ${at}, so recovery (where a firing alert counts as healthy again) must be ${side} ${at}, or null to resolve at ${at} itself`,
      );
    }
  }
  const { slack, email, pagerduty = [], webhook = [] } = r.routes;
  if (r.enabled && slack.length + email.length + pagerduty.length + webhook.length === 0) {
    issue(
      ['routes'],
      'an enabled rule needs at least one Slack channel, email address, PagerDuty key or webhook (or enabled: false)',
    );
  }
}

const ruleSchema = ruleObject.superRefine(checkRule, whenValid).transform(
  (r): AlertRule => ({
    ...r,
    // 0 and null both mean "never"; consumers see one spelling.
    repeat_minutes: r.repeat_minutes === 0 ? null : r.repeat_minutes,
  }),
);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The user's rules laid over the defaults, key by key (see the comment at the top). */
function mergeOverDefaults(input: unknown): unknown {
  if (input === undefined || input === null) return defaultAlertRules();
  if (!isPlainObject(input)) return input;
  const defaults: Record<string, unknown> = defaultAlertRules();
  // Own keys only, and built as entries: a rule named `__proto__` or `constructor` is a bad name, not a prototype.
  const mine = Object.entries(input).map(([name, rule]) => {
    const base = Object.hasOwn(defaults, name) ? defaults[name] : undefined;
    return [name, isPlainObject(base) && isPlainObject(rule) ? { ...base, ...rule } : rule] as const;
  });
  return Object.fromEntries([...Object.entries(defaults), ...mine]);
}

const rulesSchema = z.preprocess(
  mergeOverDefaults,
  z.record(ruleName, ruleSchema, {
    // zod's own word for a bad key is "Invalid key in record": say which keys are allowed.
    error: (issue) =>
      issue.code === 'invalid_key'
        ? `${RULE_NAME_MESSAGE}, got ${JSON.stringify(issue.path?.at(-1))}`
        : 'expected rules by name (a mapping)',
  }),
);

const maintenanceWindowSchema = z
  .strictObject({
    name: z.string({ error: 'expected a name for the window' }).min(1, 'expected a name for the window'),
    start: isoInstant.optional(),
    end: isoInstant.optional(),
    cron: cron.optional(),
    duration_minutes: wholeNumber('a number of minutes', 1, WEEK_MINUTES, 'a week').optional(),
    timezone: timeZone.optional(),
    /** Rule names; absent or null: every rule. */
    rules: z.array(ruleName).nullable().default(null),
  })
  .superRefine((w, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const once = w.start !== undefined || w.end !== undefined;
    const recurring = w.cron !== undefined || w.duration_minutes !== undefined || w.timezone !== undefined;
    if (once && recurring) {
      issue(
        [],
        'expected either start and end (one window) or cron, duration_minutes and timezone (a recurring window), not both',
      );
      return;
    }
    if (recurring) {
      if (w.cron === undefined) issue(['cron'], 'expected cron: when the recurring window opens, such as "0 2 * * 0"');
      if (w.duration_minutes === undefined)
        issue(['duration_minutes'], 'expected duration_minutes: how long the window stays open');
      return;
    }
    if (w.start === undefined)
      issue(
        ['start'],
        'expected start: an ISO 8601 instant such as "2026-03-28T22:00:00Z" (or cron and duration_minutes)',
      );
    if (w.end === undefined) issue(['end'], 'expected end: an ISO 8601 instant such as "2026-03-29T02:00:00Z"');
    if (w.start !== undefined && w.end !== undefined && Date.parse(w.end) <= Date.parse(w.start)) {
      issue(['end'], `expected end after start (${w.start})`);
    }
  }, whenValid)
  .transform(
    (w): MaintenanceWindow =>
      w.cron !== undefined
        ? {
            name: w.name,
            rules: w.rules,
            cron: w.cron,
            duration_minutes: w.duration_minutes!,
            timezone: w.timezone ?? 'UTC',
          }
        : { name: w.name, rules: w.rules, start: new Date(w.start!), end: new Date(w.end!) },
  );

export const alertsSchema = z
  .strictObject({
    evaluate_schedule: cron.default(DEFAULT_EVALUATE_SCHEDULE),
    timezone: timeZone.default('UTC'),
    maintenance_windows: z.array(maintenanceWindowSchema).default([]),
    slack_responders: z
      .array(
        z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…, W…) or user group id (S…), not a name'),
      )
      .default([]),
    rules: rulesSchema,
  })
  .superRefine((a, ctx) => {
    a.maintenance_windows.forEach((w, i) => {
      w.rules?.forEach((name, j) => {
        if (!Object.hasOwn(a.rules, name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['maintenance_windows', i, 'rules', j],
            message: `unknown rule "${name}" (rules: ${Object.keys(a.rules).sort().join(', ')})`,
          });
        }
      });
    });
  }, whenValid)
  .transform((a): AlertsConfig => a);
