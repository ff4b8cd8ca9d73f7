import { pino, type DestinationStream, type Level, type Logger as PinoLogger } from 'pino';
import { PulsebotError } from '../errors.js';
import { redact } from '../redact.js';

/**
 * The daemon's structured log: one JSON object per line (pretty in a terminal), every line
 * carrying the scope it belongs to. Built by `pulsebot run` and passed down; nothing is logged
 * or configured at import time.
 */

/** What a log line is about. Child loggers add to it; the keys are fixed so queries over logs work. */
export interface LogScope {
  job?: string;
  report?: string;
  channel?: string;
  /** The daemon instance (host:pid:random); on every line of a daemon's log. */
  instance?: string;
}

export type Logger = PinoLogger;

const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function logLevelFromEnv(env: NodeJS.ProcessEnv): Level | 'silent' {
  const raw = env.PULSEBOT_LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (raw === 'silent' || (LOG_LEVELS as readonly string[]).includes(raw)) return raw as Level | 'silent';
  throw new PulsebotError(
    'ENV_INVALID',
    `PULSEBOT_LOG_LEVEL must be one of ${[...LOG_LEVELS, 'silent'].join(', ')}, got ${JSON.stringify(env.PULSEBOT_LOG_LEVEL)}`,
  );
}

/** Keys whose values are secrets wherever they appear (top level or one object down). */
const SECRET_KEYS = [
  'token',
  'password',
  'passwd',
  'secret',
  'authorization',
  'cookie',
  'apiKey',
  'api_key',
  'smtpUrl',
  'smtp_url',
  'databaseUrl',
  'database_url',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SMTP_URL',
  'DATABASE_URL',
];
const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)];

/**
 * Secrets inside free text (an error message that quotes a URL, a header, or an SMTP server's
 * echo of the login) go through the one redaction every output of pulsebot uses.
 */
function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redact(value.message),
      ...(code !== undefined ? { code } : {}),
      ...(value.stack ? { stack: redact(value.stack) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth - 1);
  return out;
}

export interface LoggerOptions {
  level: Level | 'silent';
  /** Human-readable lines (stdout is a terminal). */
  pretty: boolean;
  /** Where JSON lines go (stdout for the daemon, a buffer in tests). Ignored when pretty. */
  destination: DestinationStream;
  /** Fields on every line (the instance id). */
  base?: LogScope;
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const common = {
    level: options.level,
    base: { ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => scrubValue(object, 4) as Record<string, unknown>,
    },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      // The message text may quote an error that quotes a URL: scrub it like the fields.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redact(a) : a)),
        );
      },
    },
  };
  if (options.pretty) {
    // Loaded only for a terminal: a daemon under a supervisor never pays for it.
    const { default: pretty } = await import('pino-pretty');
    return pino(
      common,
      pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,instance' }),
    );
  }
  return pino(common, options.destination);
}

/** A child logger for one job, report or channel. */
export function scoped(logger: Logger, scope: LogScope): Logger {
  return logger.child(scope);
}

/** A destination that hands each JSON line to a function (the CLI's io.out, a test's array). */
export function lineDestination(write: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => write(chunk.replace(/\n$/, '')) };
}
