import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The configuration contract. Every object is strict: an unknown key is an error, because a typo
 * such as `refersh:` must not silently fall back to defaults and switch something off.
 * Secrets (database password, Slack token, SMTP credentials) are never configuration keys; they
 * come from the environment only (see src/config/env.ts).
 */

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function isCronExpression(value: string): boolean {
  try {
    new Cron(value, { paused: true });
    return true;
  } catch {
    return false;
  }
}

/** Numbers may arrive as strings after `${ENV}` substitution; accept "30" but never "" or "30m". */
function numberLike<T extends z.ZodNumber>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

const positiveInt = (what: string) =>
  numberLike(z.number({ error: `expected ${what} (a positive whole number)` }).int(`expected ${what} (a positive whole number)`).positive(`expected ${what} (a positive whole number)`));

const timeZone = z
  .string({ error: 'expected an IANA time zone name such as "Europe/Berlin" or "UTC"' })
  .refine(isTimeZone, { error: (issue) => `expected an IANA time zone name such as "Europe/Berlin" or "UTC", got ${JSON.stringify(issue.input)}` });

const cron = z
  .string({ error: 'expected a cron expression such as "*/5 * * * *"' })
  .refine(isCronExpression, { error: (issue) => `expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(issue.input)}` });

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^\s]+$/.test(v), { error: (issue) => `expected an http(s) URL, got ${JSON.stringify(issue.input)}` });

const dashboardSchema = z.strictObject({
  /** Day boundary of mv_daily_metrics and of the 30-day windows of the other two views. */
  timezone: timeZone.default('UTC'),
  /** Link shown in digests and alerts; optional. */
  url: httpUrl.nullable().default(null),
});

const databaseSchema = z.strictObject({
  pool_max: positiveInt('a pool size').default(4),
  connect_timeout_seconds: positiveInt('a number of seconds').default(10),
  statement_timeout_seconds: positiveInt('a number of seconds').default(60),
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

export const configSchema = z.strictObject({
  dashboard: dashboardSchema.prefault({}),
  database: databaseSchema.prefault({}),
  refresh: refreshSchema.prefault({}),
  freshness: freshnessSchema.prefault({}),
});

export type PulsebotConfig = z.output<typeof configSchema>;
export type PulsebotConfigInput = z.input<typeof configSchema>;

export function defaultConfig(): PulsebotConfig {
  return configSchema.parse({});
}
