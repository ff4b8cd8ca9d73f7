import nodemailer from 'nodemailer';
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo } from 'nodemailer/lib/smtp-pool';
import { PulsebotError } from '../errors.js';
import { type Credential, redact, rememberCredential, urlCredential } from '../redact.js';
import { mailOptions } from './mime.js';
import { DeliveryError, type DeliveryReceipt, type EmailPayload, type SendContext, type Transport } from './types.js';

/**
 * Email over SMTP (SMTP_URL), through one pooled nodemailer transporter per process. TLS is
 * required, either from the first byte (smtps://) or by STARTTLS (smtp://) with no fallback to
 * plain text, except on the loopback interface, where a local relay or a test server never
 * leaves the machine. The password lives only in the transporter's options: it is never part of
 * an error message, a log line or a receipt.
 */
export interface SmtpTarget {
  secure: boolean;
  host: string;
  port: number;
  auth: { user: string; pass: string } | null;
  loopback: boolean;
}

const invalid = (message: string) =>
  new PulsebotError('ENV_INVALID', `SMTP_URL ${message}`, {
    hint: 'expected smtp://user:password@host:587 or smtps://user:password@host:465, with special characters in the password percent-encoded',
  });

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Reads SMTP_URL. Errors say what is wrong without repeating the value (it may hold a password). */
export function parseSmtpUrl(url: string): SmtpTarget {
  const text = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw invalid('is not a valid URL');
  }
  // Without the two slashes "user:password@host" would be read as a path and could be echoed.
  if (!/^smtps?:\/\//i.test(text)) throw invalid('must start with smtp:// or smtps://');
  if (parsed.pathname.replace(/^\/$/, '') !== '' || parsed.search || parsed.hash) {
    throw invalid('takes no path, query or fragment (pool sizes come from the email section of the config)');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid('has no host');
  const secure = parsed.protocol === 'smtps:';
  const port = parsed.port ? Number(parsed.port) : secure ? 465 : 587;
  let user: string;
  let pass: string;
  try {
    user = decodeURIComponent(parsed.username);
    pass = decodeURIComponent(parsed.password);
  } catch {
    throw invalid('has a malformed %-escape in the user name or password');
  }
  if (pass && !user) throw invalid('has a password but no user name');
  if (user && !pass) throw invalid(`has a user name but no password`);
  return { secure, host, port, auth: user ? { user, pass } : null, loopback: isLoopbackHost(host) };
}

export interface PoolLimits {
  maxConnections: number;
  maxMessages: number;
}

/** The nodemailer options for SMTP_URL: pure, so the TLS policy can be checked without a server. */
export function transportOptions(
  url: string,
  pool: PoolLimits = { maxConnections: 3, maxMessages: 100 },
): SMTPPoolOptions & { pool: true } {
  const t = parseSmtpUrl(url);
  return {
    pool: true,
    host: t.host,
    port: t.port,
    secure: t.secure,
    // STARTTLS or fail: never send credentials or reports in clear text over a network.
    requireTLS: !t.secure && !t.loopback,
    opportunisticTLS: false,
    tls: { minVersion: 'TLSv1.2' },
    ...(t.auth ? { auth: { user: t.auth.user, pass: t.auth.pass } } : {}),
    maxConnections: pool.maxConnections,
    maxMessages: pool.maxMessages,
    // A message whose connection drops is retried by the outbox with backoff, not silently here.
    maxRequeues: 1,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    dnsTimeout: 30_000,
    // Attachments are Buffers: nodemailer must never read a path or fetch a URL it is handed.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
}

interface SmtpErrorFields {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
  command?: string;
}

const RETRYABLE_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPROXY',
  'EMAXLIMIT',
]);
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'ETLS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
  'EMESSAGE',
]);

/**
 * Whether trying the same message again later can succeed. nodemailer's `permanent` flag (5xx
 * except 503) decides when there was a server reply; a 4xx on AUTH (454, "try later") is
 * temporary like any other. Without a reply, connection trouble is temporary and configuration
 * or authentication trouble is not.
 */
export function isRetryableSmtpError(e: SmtpErrorFields): boolean {
  if (typeof e.permanent === 'boolean') return !e.permanent;
  if (typeof e.responseCode === 'number') return e.responseCode < 500 || e.responseCode === 503;
  if (e.originalCode && RETRYABLE_CODES.has(e.originalCode)) return true;
  if (e.code && PERMANENT_CODES.has(e.code)) return false;
  // Unknown failures are retried: the outbox gives up after max_attempts anyway.
  return true;
}

const HINTS: Record<string, string> = {
  EAUTH: 'check the user name and password in SMTP_URL',
  ENOAUTH: 'the server wants credentials: put user:password in SMTP_URL',
  ETLS: 'the server must offer STARTTLS (or use smtps:// on port 465)',
  ECONNREFUSED: 'is the SMTP server running at this host and port?',
  EDNS: 'check the host name in SMTP_URL',
};

/** The error as a DeliveryError; `what` says which step failed ("sending to a@b.c"). */
export function deliveryErrorFrom(
  error: unknown,
  where: string,
  what: string,
  credentials: readonly Credential[] = [],
): DeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SmtpErrorFields & {
    message?: unknown;
    stack?: unknown;
  };
  // The cause is kept for DEBUG=1, but scrubbed too: a server may echo what it was sent (the
  // whole AUTH line, in a 535 reply), in any of the fields nodemailer copies it to.
  for (const k of ['message', 'response', 'command', 'stack'] as const) {
    if (typeof e[k] === 'string') (e as Record<string, unknown>)[k] = redact(e[k] as string, credentials);
  }
  const detail = redact(typeof e.message === 'string' ? e.message : String(error), credentials);
  const code = e.originalCode ?? e.code;
  const hint = (code && HINTS[code]) ?? (e.code ? HINTS[e.code] : undefined);
  return new DeliveryError(`SMTP ${where}: ${what} failed${code ? ` (${code})` : ''}: ${detail}`, {
    retryable: isRetryableSmtpError(e),
    cause: error,
    hint,
  });
}

export type EmailTransport = Transport<EmailPayload> & { verify(): Promise<void> };

export function createEmailTransport(opts: {
  url: string;
  maxConnections: number;
  maxMessages: number;
}): EmailTransport {
  const options = transportOptions(opts.url, opts);
  const where = `${options.host}:${options.port}`;
  const credential = urlCredential(opts.url);
  const credentials: Credential[] = credential ? [credential] : [];
  // Also for the places that never see SMTP_URL: log lines, stored errors, failure notices.
  if (credential) rememberCredential(credential);
  const transporter = nodemailer.createTransport(options);

  return {
    name: 'email',
    async send(payload: EmailPayload, _ctx: SendContext): Promise<DeliveryReceipt> {
      // A resumed send cannot ask the server whether the first attempt arrived; it sends again
      // under the same Message-ID, which mail clients treat as the same message.
      let info: SMTPPoolSentMessageInfo;
      try {
        info = await transporter.sendMail(mailOptions(payload));
      } catch (error) {
        throw deliveryErrorFrom(error, where, `sending to ${payload.to}`, credentials);
      }
      const addresses = (xs: ReadonlyArray<string | { address: string }>) =>
        xs.map((x) => (typeof x === 'string' ? x : x.address));
      return {
        externalId: payload.messageId,
        detail: { response: info.response, accepted: addresses(info.accepted), rejected: addresses(info.rejected) },
      };
    },
    async verify(): Promise<void> {
      try {
        await transporter.verify();
      } catch (error) {
        throw deliveryErrorFrom(error, where, 'connecting and logging in', credentials);
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}
