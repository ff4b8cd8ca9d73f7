import { type Credential, redact } from '../redact.js';
import { DeliveryError } from './types.js';

/**
 * One POST of a JSON body with Node's fetch, and what its answer means to the outbox: 2xx is
 * delivered; 429, 408 and 5xx are retried (after the server's Retry-After when it gives one);
 * timeouts and network errors are retried; any other answer is final. Redirects are not followed:
 * a POST turned into a GET elsewhere would be a delivery nobody can see.
 */

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** "PagerDuty" or "webhook https://host (ref)": how errors name the target (never the URL itself). */
  what: string;
  /** Secrets that must not appear in an error (an echoed key). */
  credentials?: readonly Credential[];
  /** The server's error text in words; default: the body's first 300 characters. */
  describe?: (status: number, text: string) => string;
  /** For Retry-After given as a date. */
  now?: () => Date;
}

export interface PostAnswer {
  status: number;
  text: string;
}

const MAX_DETAIL = 300;

export function oneLine(text: string, max = MAX_DETAIL): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Retry-After in ms: seconds, or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export async function postJson(opts: PostOptions): Promise<PostAnswer> {
  const clean = (s: string) => redact(s, opts.credentials ?? []);
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'pulsebot', ...opts.headers },
      body: opts.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: unknown } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new DeliveryError(`${opts.what}: no answer within ${opts.timeoutMs} ms`, { retryable: true });
    }
    const net = typeof e.cause?.code === 'string' ? e.cause.code : e.message;
    // The error of fetch never holds the body; the URL is not in it either (undici says "fetch failed").
    throw new DeliveryError(`${opts.what}: request failed (${clean(net)})`, { retryable: true });
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // A body cut short: the status alone decides.
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, text };

  const detail = clean(opts.describe ? opts.describe(res.status, text) : oneLine(text));
  const message = `${opts.what}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
  const after = retryAfterMs(res.headers.get('retry-after'), (opts.now ?? (() => new Date()))());
  if (res.status >= 300 && res.status < 400) {
    throw new DeliveryError(`${message} (redirects are not followed)`, {
      retryable: false,
      hint: 'configure the final URL',
    });
  }
  throw new DeliveryError(message, { retryable, ...(retryable && after !== undefined ? { retryAfterMs: after } : {}) });
}
