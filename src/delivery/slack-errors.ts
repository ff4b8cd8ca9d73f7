import {
  ErrorCode,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebAPIRequestError,
} from '@slack/web-api';
import { messageOf } from '../errors.js';
import { DeliveryError } from './types.js';

/**
 * How a failed Slack Web API call becomes a DeliveryError: retryable or not (with Retry-After
 * where Slack gives one), and a hint that says how to fix it where the cause is known.
 */

const AUTH_CODES = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);
const SCOPE_CODES = new Set(['no_permission', 'missing_scope']);
const CONTENT_CODES = new Set(['invalid_blocks', 'invalid_arguments', 'msg_too_long']);
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** The scope a method needs, for hints when Slack does not say (missing_scope carries `needed`). */
const SCOPE_OF: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'files.uploadV2': 'files:write',
  'conversations.history': 'channels:history (groups:history for a private channel)',
  'conversations.replies': 'channels:history (groups:history for a private channel)',
  'conversations.list': 'channels:read (groups:read for private channels)',
};

interface ErrorContext {
  method: string;
  channel: string | undefined;
  timeoutMs: number;
  token: string;
}

function slackCodeOf(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code === ErrorCode.PlatformError
    ? String((error as WebAPIPlatformError).data.error)
    : undefined;
}

export function isPlatformCode(error: unknown, codes: string[]): boolean {
  const code = slackCodeOf(error);
  return code !== undefined && codes.includes(code);
}

/** Maps the WebClient's error classes onto retryable / not retryable, with a fix where we know one. */
export function toDeliveryError(error: unknown, ctx: ErrorContext): DeliveryError {
  const { method, timeoutMs } = ctx;
  const where = ctx.channel ?? 'the channel';
  // Defence in depth: none of these messages should hold the token, and none may.
  const clean = (s: string) => (ctx.token ? s.split(ctx.token).join('[token]') : s);
  const make = (message: string, o: { retryable: boolean; retryAfterMs?: number; hint?: string }) =>
    new DeliveryError(clean(message), { ...o, cause: error, ...(o.hint ? { hint: clean(o.hint) } : {}) });
  const code = (error as { code?: unknown })?.code;

  if (code === ErrorCode.RateLimitedError) {
    const seconds = (error as WebAPIRateLimitedError).retryAfter;
    return make(`Slack ${method} failed: rate limited (HTTP 429), retry after ${seconds} s`, {
      retryable: true,
      retryAfterMs: seconds * 1000,
    });
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as WebAPIHTTPError).statusCode;
    return make(`Slack ${method} failed: HTTP ${status}`, {
      retryable: status >= 500 || status === 408 || status === 429,
    });
  }
  if (code === ErrorCode.RequestError) {
    const original = (error as WebAPIRequestError).original as Error & { cause?: { code?: unknown } };
    if (original.name === 'TimeoutError' || original.name === 'AbortError') {
      return make(`Slack ${method} failed: no answer within ${timeoutMs} ms`, { retryable: true });
    }
    const net = typeof original.cause?.code === 'string' ? original.cause.code : original.message;
    return make(`Slack ${method} failed: request error (${net})`, {
      retryable: true,
      ...(net === 'ENOTFOUND' || net === 'ECONNREFUSED'
        ? { hint: 'check the network and SLACK_API_URL (unset means https://slack.com/api/)' }
        : {}),
    });
  }
  const slackCode = slackCodeOf(error);
  if (slackCode === undefined) {
    return make(`Slack ${method} failed: ${messageOf(error)}`, { retryable: false });
  }

  const data = (error as WebAPIPlatformError).data as {
    needed?: unknown;
    response_metadata?: { messages?: unknown; retryAfter?: unknown };
  };
  const details = Array.isArray(data.response_metadata?.messages)
    ? data.response_metadata.messages.slice(0, 3).map(String)
    : [];
  const message = `Slack ${method} failed: ${slackCode}${details.length ? ` (${details.join('; ')})` : ''}`;
  if (TRANSIENT_CODES.has(slackCode)) {
    const after = Number(data.response_metadata?.retryAfter);
    return make(message, {
      retryable: true,
      ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
    });
  }
  if (AUTH_CODES.has(slackCode)) {
    return make(message, {
      retryable: false,
      hint: 'Slack refused the token: set SLACK_BOT_TOKEN to the app\'s Bot User OAuth Token (xoxb-…) from "OAuth & Permissions"; reinstall the app if it was revoked',
    });
  }
  if (SCOPE_CODES.has(slackCode)) {
    const needed =
      typeof data.needed === 'string' && data.needed !== ''
        ? data.needed
        : (SCOPE_OF[method] ?? 'chat:write, files:write');
    return make(message, {
      retryable: false,
      hint: `add the ${needed} scope to the Slack app ("OAuth & Permissions") and reinstall it`,
    });
  }
  const hints: Record<string, string> = {
    channel_not_found: `check that ${where} exists; for a private channel invite the bot first: /invite @pulsebot`,
    not_in_channel: `invite the bot to ${where}: /invite @pulsebot`,
    is_archived: `${where} is archived: unarchive it or route the report to another channel`,
    restricted_action: `a workspace setting stops the bot posting in ${where}: ask an admin to allow it, or route the report elsewhere`,
  };
  const hint =
    hints[slackCode] ??
    (CONTENT_CODES.has(slackCode)
      ? 'Slack rejected the message content (a pulsebot bug): preview it with `pulsebot digest --dry-run --out DIR` and report it'
      : undefined);
  return make(message, { retryable: false, ...(hint ? { hint } : {}) });
}

/**
 * The scope a missing_scope answer asks for (Slack's `needed`, else the scope the method needs),
 * for a Slack error or the DeliveryError made from one; undefined for any other error.
 */
export function missingScopeOf(error: unknown, method: string): string | undefined {
  const platform = error instanceof DeliveryError ? error.cause : error;
  if (!isPlatformCode(platform, ['missing_scope'])) return undefined;
  const needed = ((platform as WebAPIPlatformError).data as { needed?: unknown }).needed;
  // SCOPE_OF's entries start with the scope itself; the rest is advice for the hint.
  return typeof needed === 'string' && needed !== '' ? needed : (SCOPE_OF[method] ?? 'chat:write').split(' ')[0];
}
