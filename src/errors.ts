/**
 * Every failure pulsebot reports carries a stable code (for logs, alerts and tests) and, when it
 * wraps something, the original error as `cause` so `DEBUG=1` can show the whole chain.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'ENV_INVALID'
  | 'USAGE'
  | 'DB_CONNECT'
  | 'DB_QUERY'
  | 'DB_LOCKED'
  | 'DB_NEWER_THAN_CODE'
  | 'MIGRATION_INVALID'
  | 'MIGRATION_FAILED'
  | 'SCHEMA_INCOMPATIBLE'
  | 'TIMEZONE_MISMATCH'
  | 'DB_PERMISSION'
  | 'DATA_PARTIAL'
  | 'REFRESH_FAILED'
  | 'DELIVERY_FAILED'
  | 'RENDER_FAILED'
  | 'INTERNAL';

/** Exit codes of the CLI contract: 1 runtime failure, 2 bad usage or configuration. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'ENV_INVALID',
  'USAGE',
  'TIMEZONE_MISMATCH',
]);

export class PulsebotError extends Error {
  readonly code: ErrorCode;
  /** A short suggestion shown under the one-line message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PulsebotError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof PulsebotError && USAGE_CODES.has(error.code) ? 2 : 1;
}

/** The server's fields that postgres.js copies onto its errors; kept when we wrap. */
export interface PgErrorFields {
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

export function pgFields(error: unknown): PgErrorFields {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as Record<string, unknown>;
  const pick = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  return {
    code: pick('code'),
    detail: pick('detail'),
    hint: pick('hint'),
    position: pick('position'),
    where: pick('where'),
  };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
