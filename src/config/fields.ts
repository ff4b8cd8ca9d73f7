import { Cron } from 'croner';
import { z } from 'zod';

/**
 * Field types shared by every section of the config (src/config/schema.ts and alerts-schema.ts):
 * each says in its message what it expected, so an error names the key and the remedy.
 * A message that shows the offending value ends in `, got …`: the loader replaces that tail with
 * the variable's name when the value came from the environment (src/config/substitute.ts).
 */

/** How an error shows the value it got: scalars as written, never a whole nested structure. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The `, got …` tail of a message; nothing for a missing value. */
export function got(value: unknown): string {
  return value === undefined ? '' : `, got ${shown(value)}`;
}

/**
 * Checks that span keys run only on a value whose keys are all valid: zod runs refinements past
 * issues it considers non-fatal (a failed regex inside a record, say), on a value whose nested
 * transforms never ran.
 */
export const whenValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

/** Numbers may arrive as strings after `${ENV}` substitution; accept "30" but never "" or "30m". */
export function numberLike<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

interface Bounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Inclusive upper bound: every number has one, so no timer overflows and no sum becomes Infinity. */
  max: number;
  int?: boolean;
}

/** A finite number within bounds; `message` says what was expected, including the bounds. */
export function boundedNumber(message: string, { min, gt, max, int = false }: Bounds) {
  const error = (issue: { input?: unknown }) => `${message}${got(issue.input)}`;
  let n = z.number({ error });
  if (int) n = n.int({ error });
  if (gt !== undefined) n = n.gt(gt, { error });
  if (min !== undefined) n = n.min(min, { error });
  return numberLike(n.max(max, { error }));
}

/** A whole number from min to max; `gloss` says what max is in everyday units ("a day"). */
export function wholeNumber(what: string, min: number, max: number, gloss?: string) {
  const range = `a whole number from ${min} to ${max}${gloss ? ` (${gloss})` : ''}`;
  return boundedNumber(`expected ${what}: ${range}`, { min, max, int: true });
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string({ error: (issue) => `expected an IANA time zone name such as "Europe/Berlin" or "UTC"${got(issue.input)}` })
  .refine(isTimeZone, {
    error: (issue) => `expected an IANA time zone name such as "Europe/Berlin" or "UTC"${got(issue.input)}`,
  });

const CRON_EXAMPLE = 'expected a cron expression such as "*/5 * * * *"';
const CRON_FIELDS = `${CRON_EXAMPLE}: 5 fields (minute hour day month weekday), or 6 with leading seconds`;
// Any fixed instant will do: without a year field a schedule that never fires after one instant never fires at all.
const CRON_REFERENCE = new Date('2000-01-01T00:00:00Z');

/** The message for a refused cron expression, or null when it is a schedule that fires. */
function cronProblem(value: string): string | null {
  // croner also takes a 7th field (the year); pulsebot's schedules recur, so it is refused.
  const fields = value.trim().split(/\s+/).length;
  if (!value.trim().startsWith('@') && fields !== 5 && fields !== 6) return `${CRON_FIELDS}${got(value)}`;
  let cron: Cron;
  try {
    cron = new Cron(value, { paused: true });
  } catch (error) {
    // croner's reason quotes parts of the value: it goes after `got`, which is cut for a value from the environment.
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `${CRON_EXAMPLE}${got(value)} (${reason.replace(/\.$/, '')})`;
  }
  if (cron.nextRun(CRON_REFERENCE) === null) {
    return `${CRON_EXAMPLE} that fires: this one names a day no month has${got(value)}`;
  }
  return null;
}

export const cron = z.string({ error: (issue) => `${CRON_EXAMPLE}${got(issue.input)}` }).superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** Why a link is refused, or null when it is a plain http(s) URL. */
function urlProblem(value: string): string | null {
  let url: URL | undefined;
  try {
    url = /^https?:\/\/[^\s]+$/i.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hostname === '') return 'expected an http(s) URL';
  // A user name or password in a link that every digest shows would publish it.
  if (url.username !== '' || url.password !== '') return 'expected an http(s) URL without a user name or password';
  return null;
}

export const httpUrl = z
  .string({ error: (issue) => `expected an http(s) URL${got(issue.input)}` })
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `${problem}${got(value)}` });
  });

export const slackChannel = z
  .string({
    error: (issue) => `expected a Slack channel: "#name" or a channel id such as "C0123ABCD"${got(issue.input)}`,
  })
  .regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$/, {
    error: (issue) =>
      `expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD"${got(issue.input)}`,
  });

// local@domain: the local part is dot-separated atoms (no "/", ":" or spaces, so a URL such as
// postgres://user:password@host is not an address); the domain is a host name, dotted or not.
// Characters beyond ASCII are allowed (internationalised addresses); written as a range, not \p{L},
// so the pattern also works without the u flag in the JSON Schema editors read.
const ATOM = "[A-Za-z0-9!#$%&'*+=?^_`{|}~\\u0080-\\uFFFF-]+";
const LOCAL = `${ATOM}(?:\\.${ATOM})*`;
const LABEL = '[A-Za-z0-9\\u0080-\\uFFFF](?:[A-Za-z0-9\\u0080-\\uFFFF-]{0,61}[A-Za-z0-9\\u0080-\\uFFFF])?';
const ADDRESS = `${LOCAL}@${LABEL}(?:\\.${LABEL})*`;
const ADDRESS_RE = new RegExp(`^${ADDRESS}$`);
// A display name is quoted, or plain words without the characters that separate addresses. Each
// part can match in one way only, so a long value cannot make the match backtrack for ever.
const FROM_RE = new RegExp(`^(?:${ADDRESS}|(?:"[^"\\\\\\r\\n]*"\\s*|[^\\s<>"@,;:][^<>"@,;:\\r\\n]*)?<${ADDRESS}>)$`);

/** Email values are not echoed: an address-shaped mistake may hold a password (a URL with user:password@). */
const EMAIL_MESSAGE = 'expected an email address such as "team@example.com"';
const FROM_MESSAGE = 'expected a sender such as "pulsebot <pulsebot@example.com>" or "pulsebot@example.com"';

// An overlong value stops at the length check (abort), before any pattern runs on it.
export const emailAddress = z
  .string({ error: EMAIL_MESSAGE })
  .max(254, { error: EMAIL_MESSAGE, abort: true })
  .regex(ADDRESS_RE, EMAIL_MESSAGE);

/** The From header: an address, or a display name and the address in angle brackets. */
export const fromAddress = z
  .string({ error: FROM_MESSAGE })
  .max(320, { error: FROM_MESSAGE, abort: true })
  .regex(FROM_RE, FROM_MESSAGE);

/** A PostgreSQL role name as pulsebot grants to it: a plain identifier, so it needs no quoting in the SQL it prints. */
export const roleName = z
  .string({ error: 'expected a PostgreSQL role name such as "dashboard_reader"' })
  .regex(
    /^[a-z_][a-z0-9_]{0,62}$/,
    'expected a PostgreSQL role name: lower-case letters, digits and _, at most 63 characters',
  );
