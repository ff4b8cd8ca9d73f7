import { z } from 'zod';
import { DEFAULT_HEALTH } from '../metrics/health.js';
import { alertsSchema } from './alerts-schema.js';
import {
  boundedNumber,
  cron,
  got,
  emailAddress,
  fromAddress,
  httpUrl,
  roleName,
  slackChannel,
  timeZone,
  whenValid,
  wholeNumber,
} from './fields.js';

/**
 * The configuration contract. Every object is strict: an unknown key is an error, because a typo
 * such as `refersh:` must not silently fall back to defaults and switch something off.
 * Secrets (database password, Slack token, SMTP credentials) are never configuration keys; they
 * come from the environment only (see src/config/env.ts).
 */

/**
 * Every number has an upper bound: timers hold at most 2^31-1 ms (24.8 days) and fire at once
 * beyond it, and a sum of huge weights becomes Infinity.
 */
const DAY_SECONDS = 86_400;
const WEEK_MINUTES = 10_080;
const MONTH_MINUTES = 43_200;

const dashboardSchema = z.strictObject({
  /** Day boundary of mv_daily_metrics and of the 30-day windows of the other two views. */
  timezone: timeZone.default('UTC'),
  /** Link shown in digests and alerts; optional. */
  url: httpUrl.nullable().default(null),
  /** Roles granted SELECT on the three views at every migrate; no one else may read them (README "Security"). */
  readers: z
    .array(roleName)
    .default([])
    .refine((r) => !r.includes('public'), {
      error: 'public is every role of the cluster; list the roles that may read the views',
    }),
});

const databaseSchema = z.strictObject({
  pool_max: wholeNumber('a pool size', 1, 100).default(4),
  connect_timeout_seconds: wholeNumber('a number of seconds', 1, 300, '5 minutes').default(10),
  statement_timeout_seconds: wholeNumber('a number of seconds', 1, DAY_SECONDS, 'a day').default(60),
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
  statement_timeout_seconds: wholeNumber('a number of seconds', 1, DAY_SECONDS, 'a day').default(600),
});

const freshnessSchema = z.strictObject({
  /** doctor (and later alerts): the newest api_usage row older than this is a problem. */
  max_data_age_minutes: wholeNumber('a number of minutes', 1, MONTH_MINUTES, '30 days').default(30),
  /** doctor: the last successful refresh older than this is a problem (2× the refresh interval). */
  max_refresh_age_minutes: wholeNumber('a number of minutes', 1, MONTH_MINUTES, '30 days').default(15),
});

const fraction = (what: string) =>
  boundedNumber(`expected ${what} as a fraction between 0 and 1 (0.99 for 99%)`, { min: 0, max: 1 });
const weight = boundedNumber('expected a weight: a number from 0 to 1000', { min: 0, max: 1000 });
const factor = (what: string) =>
  boundedNumber(`expected ${what}: a number above 1, at most 1000`, { gt: 1, max: 1000 });
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
    .refine((v) => v.floor < v.slo, { error: 'floor must be below slo', ...whenValid }),
  latency_p95_ms: z
    .record(z.string(), wholeNumber('a p95 target in ms', 1, 86_400_000, 'a day'))
    .default({ ...H.latency_p95_ms })
    .transform((v) => ({ ...H.latency_p95_ms, ...v }) as typeof H.latency_p95_ms),
  cost: z
    .strictObject({
      over_budget_zero: factor('the budget multiple that scores 0').default(H.cost.over_budget_zero),
      baseline_ok: factor('the baseline multiple still scoring 100').default(H.cost.baseline_ok),
      baseline_zero: factor('the baseline multiple that scores 0').default(H.cost.baseline_zero),
    })
    .prefault({})
    .refine((v) => v.baseline_ok < v.baseline_zero, { error: 'baseline_ok must be below baseline_zero', ...whenValid }),
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
  /** Required, except in a report named like a built-in one, which takes the built-in's. */
  period: z
    .enum(['day', 'week', 'month'], { error: (issue) => `expected one of day, week, month${got(issue.input)}` })
    .optional(),
  timezone: timeZone.default('UTC'),
  /** How many models the Models section lists before folding the rest into "other". */
  top_models: wholeNumber('a number of models', 1, 50).default(8),
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
const completedReport = reportSchema
  .superRefine((r, ctx) => {
    if (r.period === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['period'],
        message: `expected one of day, week, month (only the built-in reports, ${Object.keys(DEFAULT_REPORTS).join(' and ')}, have a period to fall back on)`,
      });
    }
  })
  .transform((r) => {
    // The refinement above has made sure of it: the transform only runs on a valid report.
    const period = r.period!;
    return {
      ...r,
      period,
      schedule: r.schedule ?? DEFAULT_SCHEDULE[period],
      sections: r.sections ?? [...DEFAULT_SECTIONS[period]],
      charts: r.charts ?? [...DEFAULT_CHARTS[period]],
    };
  });

/** The built-in reports: what applies with no `reports:` key, and what a report of the same name starts from. */
const DEFAULT_REPORTS: Record<string, Record<string, unknown>> = {
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
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Only the reports listed exist (listing replaces the built-in set), but a listed report named
 * like a built-in one is laid over it: the keys it sets replace the built-in's (`routes` whole),
 * the others keep the built-in's values; `daily: {}` (or `daily:` alone) is the built-in as is.
 * This is how alerts.rules merge over the built-in rules.
 */
function mergeOverBuiltInReports(input: unknown): unknown {
  if (input === undefined || input === null) return structuredClone(DEFAULT_REPORTS);
  if (!isPlainObject(input)) return input;
  return Object.fromEntries(
    Object.entries(input).map(([name, report]) => {
      const base = Object.hasOwn(DEFAULT_REPORTS, name) ? structuredClone(DEFAULT_REPORTS[name]) : undefined;
      if (base === undefined) return [name, report];
      if (report === null) return [name, base];
      return [name, isPlainObject(report) ? { ...base, ...report } : report];
    }),
  );
}

const emailSchema = z.strictObject({
  /** The From header of every email. */
  from: fromAddress.default('pulsebot <pulsebot@example.com>'),
  reply_to: emailAddress.nullable().default(null),
  /** Pooled SMTP connections and messages per connection before it is recycled. */
  max_connections: wholeNumber('a number of connections', 1, 50).default(3),
  max_messages: wholeNumber('a number of messages', 1, 10_000).default(100),
});

const slackSchema = z.strictObject({
  /** Upload the digest's charts into the message's thread (files:write scope). */
  upload_charts: z.boolean().default(true),
  /** Seconds one Slack API call may take before it counts as failed (and is retried later). */
  timeout_seconds: wholeNumber('a number of seconds', 1, 300, '5 minutes').default(20),
});

const deliverySchema = z
  .strictObject({
    /** Attempts per message before it is given up and reported through failure_routes. */
    max_attempts: wholeNumber('a number of attempts', 1, 100).default(6),
    /** First retry after this many seconds, doubling each time (with jitter) up to backoff_max_seconds. */
    backoff_base_seconds: wholeNumber('a number of seconds', 1, DAY_SECONDS, 'a day').default(30),
    backoff_max_seconds: wholeNumber('a number of seconds', 1, DAY_SECONDS, 'a day').default(3600),
    /**
     * One-shot commands (digest, alerts, deliver) retry a transient failure within the command for
     * up to this long before leaving it to the outbox; 0: no retries within the command.
     */
    inline_retry_seconds: wholeNumber('a number of seconds', 0, 600, '10 minutes').default(60),
    /** Where a message that could not be delivered is reported: through a channel other than the one that failed. */
    failure_routes: routesSchema.prefault({}),
  })
  .superRefine((d, ctx) => {
    if (d.backoff_max_seconds < d.backoff_base_seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoff_max_seconds'],
        message: `expected at least delivery.backoff_base_seconds (${d.backoff_base_seconds}): the longest wait cannot be shorter than the first, got ${d.backoff_max_seconds}`,
      });
    }
  }, whenValid);

const budgetSchema = z.strictObject({
  /** Monthly AI spend budget in USD; days get an equal share of their month. null: no budget. */
  monthly_usd: boundedNumber('expected an amount in USD: a number above 0, at most 1000000000', {
    gt: 0,
    max: 1_000_000_000,
  })
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
  timeout_seconds: wholeNumber('a number of seconds', 1, 3600, 'an hour').default(10),
});

const daemonSchema = z.strictObject({
  /** A report whose scheduled time passed while no daemon ran is sent late, once, if it is at most this old. */
  catch_up_grace_minutes: wholeNumber('a number of minutes', 1, WEEK_MINUTES, 'a week').default(360),
  /** How often queued messages and retries are delivered (croner syntax; 6 fields for seconds). */
  deliver_schedule: cron.default('*/30 * * * * *'),
  /** On SIGTERM, how long in-flight jobs (deliveries) may take to finish before the daemon exits anyway. */
  shutdown_timeout_seconds: wholeNumber('a number of seconds', 1, 3600, 'an hour').default(20),
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
    /** Reports by name: only those listed, each named like a built-in one laid over it (see mergeOverBuiltInReports). */
    reports: z
      .preprocess(
        mergeOverBuiltInReports,
        z.record(
          z.string().regex(/^[a-z][a-z0-9_-]*$/, 'report names are lower-case letters, digits, - and _'),
          completedReport,
        ),
      )
      .prefault(() => structuredClone(DEFAULT_REPORTS))
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
        if (!(BUILTIN_CHARTS as readonly string[]).includes(chart) && !Object.hasOwn(c.panels, chart)) {
          ctx.addIssue({
            code: 'custom',
            path: ['reports', name, 'charts', i],
            message: `unknown chart "${chart}" (built-in: ${BUILTIN_CHARTS.join(', ')}; or a name under panels)`,
          });
        }
      });
    }
  }, whenValid);

export type PulsebotConfig = z.output<typeof configSchema>;
export type ReportConfig = PulsebotConfig['reports'][string];

export function defaultConfig(): PulsebotConfig {
  return configSchema.parse({});
}
