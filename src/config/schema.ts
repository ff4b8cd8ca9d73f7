import { z } from 'zod';
import { DEFAULT_HEALTH } from '../metrics/health.js';
import { alertsSchema } from './alerts-schema.js';
import { cron, emailAddress, httpUrl, numberLike, roleName, slackChannel, timeZone } from './fields.js';

/**
 * The configuration contract. Every object is strict: an unknown key is an error, because a typo
 * such as `refersh:` must not silently fall back to defaults and switch something off.
 * Secrets (database password, Slack token, SMTP credentials) are never configuration keys; they
 * come from the environment only (see src/config/env.ts).
 */

const positiveInt = (what: string) =>
  numberLike(
    z
      .number({ error: `expected ${what} (a positive whole number)` })
      .int(`expected ${what} (a positive whole number)`)
      .positive(`expected ${what} (a positive whole number)`),
  );

const dashboardSchema = z.strictObject({
  /** Day boundary of mv_daily_metrics and of the 30-day windows of the other two views. */
  timezone: timeZone.default('UTC'),
  /** Link shown in digests and alerts; optional. */
  url: httpUrl.nullable().default(null),
  /** Roles granted SELECT on the three views at every migrate; no one else may read them (README "Security"). */
  readers: z
    .array(roleName)
    .default([])
    .refine((r) => !r.includes('anon') && !r.includes('public'), {
      error: 'anon and public would publish the views to anyone holding the API URL; grant a role of your own',
    }),
});

const databaseSchema = z.strictObject({
  pool_max: positiveInt('a pool size').default(4),
  connect_timeout_seconds: positiveInt('a number of seconds').default(10),
  statement_timeout_seconds: positiveInt('a number of seconds').default(60),
  /**
   * The NOLOGIN role `migrate` keeps with exactly the rights every other command needs; grant it to
   * the login role pulsebot runs as. null: `migrate` creates no role.
   */
  runtime_role: roleName.nullable().default('pulsebot_runtime'),
});

const refreshSchema = z.strictObject({
  /** When `pulsebot run` refreshes the views (croner syntax, UTC). */
  schedule: cron.default('*/5 * * * *'),
  /** A refresh over a large api_usage may take longer than ordinary queries. */
  statement_timeout_seconds: positiveInt('a number of seconds').default(600),
});

const freshnessSchema = z.strictObject({
  /** doctor (and later alerts): the newest api_usage row older than this is a problem. */
  max_data_age_minutes: positiveInt('a number of minutes').default(30),
  /** doctor: the last successful refresh older than this is a problem (2× the refresh interval). */
  max_refresh_age_minutes: positiveInt('a number of minutes').default(15),
});

const fraction = (what: string) =>
  numberLike(
    z
      .number({ error: `expected ${what} as a fraction between 0 and 1 (0.99 for 99%)` })
      .min(0, `expected ${what} as a fraction between 0 and 1 (0.99 for 99%)`)
      .max(1, `expected ${what} as a fraction between 0 and 1 (0.99 for 99%)`),
  );
const weight = numberLike(
  z.number({ error: 'expected a weight (a number ≥ 0)' }).min(0, 'expected a weight (a number ≥ 0)'),
);
const factor = (what: string) =>
  numberLike(z.number({ error: `expected ${what} (a number > 1)` }).gt(1, `expected ${what} (a number > 1)`));
const H = DEFAULT_HEALTH;

/** The health score's formula (README "Health score"); every number has a documented default. */
const healthSchema = z.strictObject({
  weights: z
    .strictObject({
      success_rate: weight.default(H.weights.success_rate),
      latency: weight.default(H.weights.latency),
      cost: weight.default(H.weights.cost),
      freshness: weight.default(H.weights.freshness),
    })
    .prefault({}),
  success_rate: z
    .strictObject({
      slo: fraction('the success-rate SLO').default(H.success_rate.slo),
      floor: fraction('the success rate that scores 0').default(H.success_rate.floor),
    })
    .prefault({})
    .refine((v) => v.floor < v.slo, { error: 'floor must be below slo' }),
  latency_p95_ms: z
    .record(z.string(), positiveInt('a p95 target in ms'))
    .default({ ...H.latency_p95_ms })
    .transform((v) => ({ ...H.latency_p95_ms, ...v }) as typeof H.latency_p95_ms),
  cost: z
    .strictObject({
      over_budget_zero: factor('the budget multiple that scores 0').default(H.cost.over_budget_zero),
      baseline_ok: factor('the baseline multiple still scoring 100').default(H.cost.baseline_ok),
      baseline_zero: factor('the baseline multiple that scores 0').default(H.cost.baseline_zero),
    })
    .prefault({})
    .refine((v) => v.baseline_ok < v.baseline_zero, { error: 'baseline_ok must be below baseline_zero' }),
  freshness: z
    .strictObject({
      zero_at: factor('the multiple of the freshness limit that scores 0').default(H.freshness.zero_at),
    })
    .prefault({}),
});

/** Sections a digest can show, in the order given (the Slack digest and the email both follow it). */
export const DIGEST_SECTIONS = [
  'kpis',
  'health',
  'movers',
  'operations',
  'models',
  'users',
  'finance',
  'data_quality',
] as const;
export type DigestSection = (typeof DIGEST_SECTIONS)[number];

/** Built-in charts a digest can carry (custom panels are added by name). */
export const BUILTIN_CHARTS = [
  'daily_cost_by_provider',
  'requests_and_success_rate',
  'p95_by_service_type',
  'top_models_by_cost',
  'provider_comparison',
  'month_to_date_vs_budget',
  'health_components',
] as const;
export type BuiltinChart = (typeof BUILTIN_CHARTS)[number];

/** Where a report (or a failure notice) goes. An empty list sends nothing on that channel. */
const routesSchema = z.strictObject({
  slack: z.array(slackChannel).default([]),
  email: z.array(emailAddress).default([]),
});

/** One report: what period it covers, in which time zone its days begin, what it shows and where it goes. */
const reportSchema = z.strictObject({
  period: z.enum(['day', 'week', 'month'], { error: 'expected one of day, week, month' }),
  timezone: timeZone.default('UTC'),
  /** How many models the Models section lists before folding the rest into "other". */
  top_models: positiveInt('a number of models').default(8),
  /** When `pulsebot run` sends it: croner syntax, in the report's time zone. */
  schedule: cron.optional(),
  sections: z.array(z.enum(DIGEST_SECTIONS, { error: `expected one of ${DIGEST_SECTIONS.join(', ')}` })).optional(),
  /** Built-in chart ids and custom panel names. */
  charts: z
    .array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'chart names are lower-case letters, digits, - and _'))
    .optional(),
  routes: routesSchema.prefault({}),
});

const DEFAULT_SCHEDULE = { day: '0 9 * * *', week: '0 9 * * 1', month: '0 9 1 * *' } as const;
const DEFAULT_SECTIONS: Record<'day' | 'week' | 'month', DigestSection[]> = {
  day: ['kpis', 'health', 'movers', 'operations', 'models', 'data_quality'],
  week: ['kpis', 'health', 'movers', 'models', 'users', 'finance', 'data_quality'],
  month: ['kpis', 'health', 'movers', 'models', 'users', 'finance', 'data_quality'],
};
const DEFAULT_CHARTS: Record<'day' | 'week' | 'month', BuiltinChart[]> = {
  day: [
    'daily_cost_by_provider',
    'requests_and_success_rate',
    'p95_by_service_type',
    'top_models_by_cost',
    'provider_comparison',
    'health_components',
  ],
  week: [
    'daily_cost_by_provider',
    'requests_and_success_rate',
    'top_models_by_cost',
    'month_to_date_vs_budget',
    'health_components',
  ],
  month: [
    'daily_cost_by_provider',
    'requests_and_success_rate',
    'top_models_by_cost',
    'month_to_date_vs_budget',
    'health_components',
  ],
};

/** A report with the per-period defaults filled in (schedule, sections, charts). */
const completedReport = reportSchema.transform((r) => ({
  ...r,
  schedule: r.schedule ?? DEFAULT_SCHEDULE[r.period],
  sections: r.sections ?? [...DEFAULT_SECTIONS[r.period]],
  charts: r.charts ?? [...DEFAULT_CHARTS[r.period]],
}));

const DEFAULT_REPORTS = {
  daily: {
    period: 'day',
    timezone: 'UTC',
    top_models: 8,
    routes: { slack: ['#ai-usage'], email: ['ai-team@example.com'] },
  },
  weekly: {
    period: 'week',
    timezone: 'UTC',
    top_models: 8,
    routes: { slack: [], email: ['stakeholders@example.com'] },
  },
} as const;

const emailSchema = z.strictObject({
  /** The From header of every email. */
  from: z.string().min(3).default('pulsebot <pulsebot@example.com>'),
  reply_to: emailAddress.nullable().default(null),
  /** Pooled SMTP connections and messages per connection before it is recycled. */
  max_connections: positiveInt('a number of connections').default(3),
  max_messages: positiveInt('a number of messages').default(100),
});

const slackSchema = z.strictObject({
  /** Upload the digest's charts into the message's thread (files:write scope). */
  upload_charts: z.boolean().default(true),
  /** Seconds one Slack API call may take before it counts as failed (and is retried later). */
  timeout_seconds: positiveInt('a number of seconds').default(20),
});

const deliverySchema = z.strictObject({
  /** Attempts per message before it is given up and reported through failure_routes. */
  max_attempts: positiveInt('a number of attempts').default(6),
  /** First retry after this many seconds, doubling each time (with jitter) up to backoff_max_seconds. */
  backoff_base_seconds: positiveInt('a number of seconds').default(30),
  backoff_max_seconds: positiveInt('a number of seconds').default(3600),
  /**
   * One-shot commands (digest, alerts, deliver) retry a transient failure within the command for
   * up to this long before leaving it to the outbox; 0: no retries within the command.
   */
  inline_retry_seconds: numberLike(
    z
      .number({ error: 'expected a number of seconds from 0 to 600' })
      .int('expected a number of seconds from 0 to 600')
      .min(0, 'expected a number of seconds from 0 to 600')
      .max(600, 'expected a number of seconds from 0 to 600'),
  ).default(60),
  /** Where a message that could not be delivered is reported: through a channel other than the one that failed. */
  failure_routes: routesSchema.prefault({}),
});

const budgetSchema = z.strictObject({
  /** Monthly AI spend budget in USD; days get an equal share of their month. null: no budget. */
  monthly_usd: numberLike(
    z
      .number({ error: 'expected an amount in USD (a number > 0)' })
      .positive('expected an amount in USD (a number > 0)'),
  )
    .nullable()
    .default(null),
});

/**
 * A custom chart: a read-only query (parameters $1 period start, $2 period end, both timestamptz,
 * and $3 the report's time zone) and a Vega-Lite spec whose data is the query's rows.
 */
const panelSchema = z.strictObject({
  sql: z.string({ error: 'expected the panel query as text' }).min(1, 'expected the panel query as text'),
  spec: z.record(z.string(), z.unknown(), { error: 'expected a Vega-Lite spec (a mapping)' }),
  timeout_seconds: positiveInt('a number of seconds').default(10),
});

const daemonSchema = z.strictObject({
  /** A report whose scheduled time passed while no daemon ran is sent late, once, if it is at most this old. */
  catch_up_grace_minutes: positiveInt('a number of minutes').default(360),
  /** How often queued messages and retries are delivered (croner syntax; 6 fields for seconds). */
  deliver_schedule: cron.default('*/30 * * * * *'),
  /** On SIGTERM, how long in-flight jobs (deliveries) may take to finish before the daemon exits anyway. */
  shutdown_timeout_seconds: positiveInt('a number of seconds').default(20),
});

export const configSchema = z
  .strictObject({
    dashboard: dashboardSchema.prefault({}),
    database: databaseSchema.prefault({}),
    refresh: refreshSchema.prefault({}),
    freshness: freshnessSchema.prefault({}),
    health: healthSchema.prefault({}),
    budget: budgetSchema.prefault({}),
    /** Custom charts by name, rendered like the built-in ones. */
    panels: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]*$/, 'panel names are lower-case letters, digits, - and _'),
        panelSchema,
      )
      .default({}),
    /** Reports by name. Listing reports replaces the defaults (daily and weekly, UTC). */
    reports: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]*$/, 'report names are lower-case letters, digits, - and _'),
        completedReport,
      )
      .prefault(() => structuredClone(DEFAULT_REPORTS) as unknown as Record<string, z.input<typeof completedReport>>)
      .refine((r) => Object.keys(r).length > 0, { error: 'define at least one report' }),
    email: emailSchema.prefault({}),
    slack: slackSchema.prefault({}),
    delivery: deliverySchema.prefault({}),
    alerts: alertsSchema.prefault(() => ({}) as z.input<typeof alertsSchema>),
    daemon: daemonSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const [name, report] of Object.entries(c.reports)) {
      report.charts.forEach((chart, i) => {
        if (!(BUILTIN_CHARTS as readonly string[]).includes(chart) && !(chart in c.panels)) {
          ctx.addIssue({
            code: 'custom',
            path: ['reports', name, 'charts', i],
            message: `unknown chart "${chart}" (built-in: ${BUILTIN_CHARTS.join(', ')}; or a name under panels)`,
          });
        }
      });
    }
  });

export type PulsebotConfig = z.output<typeof configSchema>;
export type ReportConfig = PulsebotConfig['reports'][string];

export function defaultConfig(): PulsebotConfig {
  return configSchema.parse({});
}
