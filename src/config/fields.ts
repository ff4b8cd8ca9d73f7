import { Cron } from 'croner';
import { z } from 'zod';

/**
 * Field types shared by every section of the config (src/config/schema.ts and alerts-schema.ts):
 * each says in its message what it expected, so an error names the key and the remedy.
 */

/** Numbers may arrive as strings after `${ENV}` substitution; accept "30" but never "" or "30m". */
export function numberLike<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function isCronExpression(value: string): boolean {
  try {
    new Cron(value, { paused: true });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string({ error: 'expected an IANA time zone name such as "Europe/Berlin" or "UTC"' })
  .refine(isTimeZone, {
    error: (issue) =>
      `expected an IANA time zone name such as "Europe/Berlin" or "UTC", got ${JSON.stringify(issue.input)}`,
  });

export const cron = z.string({ error: 'expected a cron expression such as "*/5 * * * *"' }).refine(isCronExpression, {
  error: (issue) => `expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(issue.input)}`,
});

export const httpUrl = z.string({ error: 'expected an http(s) URL' }).refine((v) => /^https?:\/\/[^\s]+$/.test(v), {
  error: (issue) => `expected an http(s) URL, got ${JSON.stringify(issue.input)}`,
});

export const slackChannel = z
  .string({ error: 'expected a Slack channel: "#name" or a channel id such as "C0123ABCD"' })
  .regex(
    /^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$/,
    'expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD"',
  );

export const emailAddress = z
  .string({ error: 'expected an email address' })
  .regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'expected an email address such as "team@example.com"');

/** A PostgreSQL role name as pulsebot grants to it: a plain identifier, so it needs no quoting in the SQL it prints. */
export const roleName = z
  .string({ error: 'expected a PostgreSQL role name such as "dashboard_reader"' })
  .regex(
    /^[a-z_][a-z0-9_]{0,62}$/,
    'expected a PostgreSQL role name: lower-case letters, digits and _, at most 63 characters',
  );
