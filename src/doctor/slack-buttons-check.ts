import { ErrorCode, type WebAPIPlatformError, WebClient } from '@slack/web-api';
import type { PulsebotConfig } from '../config/schema.js';
import { slackAppTokenFromEnv } from '../config/env.js';
import { addScopesFix, responderGroups } from '../delivery/slack-scopes.js';
import { toDeliveryError } from '../delivery/slack-errors.js';
import { silentSlackLogger } from '../delivery/slack-transport.js';
import { messageOf, PulsebotError } from '../errors.js';
import { redact } from '../redact.js';
import type { CheckResult } from './check-result.js';

/**
 * The Slack alert buttons' part of `pulsebot doctor`: can SLACK_APP_TOKEN open Socket Mode, and
 * can the bot read the user groups of alerts.slack_responders. apps.connections.open only mints a
 * single-use WebSocket URL; doctor never connects to it, so a running daemon is not disturbed.
 */

/** Doctor waits this long for each call, and does not retry: a slow Slack is itself worth a ✗. */
const CALL_TIMEOUT_MS = 10_000;

function client(token: string, env: NodeJS.ProcessEnv): WebClient {
  return new WebClient(token, {
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: CALL_TIMEOUT_MS,
    logger: silentSlackLogger,
  });
}

const platformCode = (error: unknown): string | null =>
  (error as { code?: unknown })?.code === ErrorCode.PlatformError
    ? String((error as WebAPIPlatformError).data.error)
    : null;

/** A failed call that is not a Slack platform error (timeout, network, HTTP status), as a ✗ with a fix. */
function unreachable(name: string, method: string, error: unknown, token: string): CheckResult {
  const d = toDeliveryError(error, { method, channel: undefined, timeoutMs: CALL_TIMEOUT_MS, token });
  return {
    name,
    status: 'fail',
    detail: redact(d.message, [{ secret: token }]),
    fix: d.hint ? redact(d.hint, [{ secret: token }]) : 'check the network and SLACK_API_URL, then run doctor again',
  };
}

const NEW_APP_TOKEN =
  'generate an app-level token with the connections:write scope (app settings → Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN to it';

const AUTH_CODES = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

export async function checkSlackButtons(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const name = 'slack buttons';
  if (!env.SLACK_APP_TOKEN?.trim()) {
    return {
      name,
      status: 'ok',
      detail: 'off (SLACK_APP_TOKEN is not set): alerts go out without Acknowledge/Silence buttons',
    };
  }
  let token: string | null;
  try {
    token = slackAppTokenFromEnv(env);
  } catch (error) {
    // The message names the token's kind, never its value; redacted all the same.
    return {
      name,
      status: 'fail',
      detail: redact(messageOf(error)),
      ...(error instanceof PulsebotError && error.hint ? { fix: error.hint } : {}),
    };
  }
  if (!token) return { name, status: 'ok', detail: 'off (SLACK_APP_TOKEN is not set)' };
  try {
    await client(token, env).apps.connections.open();
    return { name, status: 'ok', detail: 'app token can open Socket Mode (connections:write)' };
  } catch (error) {
    const code = platformCode(error);
    if (code === null) return unreachable(name, 'apps.connections.open', error, token);
    const refused = (detail: string, fix: string): CheckResult => ({
      name,
      status: 'fail',
      detail: redact(`Slack refuses SLACK_APP_TOKEN for apps.connections.open (${code}): ${detail}`, [
        { secret: token },
      ]),
      fix,
    });
    if (AUTH_CODES.has(code)) return refused('the token was revoked or is wrong', NEW_APP_TOKEN);
    if (code === 'not_allowed_token_type') {
      return refused(
        'a bot or user token was given where the app-level token (xapp-…) belongs',
        'set SLACK_APP_TOKEN to the app-level token (app settings → Basic Information → App-Level Tokens), not the bot token',
      );
    }
    if (code === 'missing_scope') {
      return refused(
        'the app-level token lacks connections:write',
        `add connections:write to the app-level token: ${NEW_APP_TOKEN}`,
      );
    }
    return refused(
      'alert buttons will not work',
      'check that Socket Mode is turned on in the app settings and that SLACK_APP_TOKEN belongs to this app',
    );
  }
}

/**
 * Who may use the buttons. Users need no check; each user group must be readable with the bot
 * token (usergroups.users.list), or its members are refused: the daemon admits nobody through a
 * group it cannot read.
 */
export async function checkSlackResponders(
  config: PulsebotConfig,
  env: NodeJS.ProcessEnv,
): Promise<CheckResult | null> {
  const name = 'slack responders';
  const responders = config.alerts.slack_responders;
  const groups = responderGroups(responders);
  const buttonsOn = !!env.SLACK_APP_TOKEN?.trim();
  const users = responders.length - groups.length;
  const usersText = users > 0 ? `${users} user${users === 1 ? '' : 's'}` : '';
  if (groups.length === 0) {
    if (!buttonsOn) return null;
    return {
      name,
      status: 'ok',
      detail:
        users === 0
          ? 'anyone who sees an alert can use its buttons (alerts.slack_responders is empty)'
          : `${usersText} listed in alerts.slack_responders`,
    };
  }
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (!botToken) {
    return {
      name,
      status: buttonsOn ? 'fail' : 'warn',
      detail: `user group${groups.length === 1 ? '' : 's'} ${groups.join(', ')} cannot be read: SLACK_BOT_TOKEN is not set`,
      fix: 'set SLACK_BOT_TOKEN (xoxb-…) with the usergroups:read scope',
    };
  }
  const web = client(botToken, env);
  const read: string[] = [];
  const problems: string[] = [];
  const fixes = new Set<string>();
  for (const group of groups) {
    try {
      const res = await web.usergroups.users.list({ usergroup: group });
      const n = res.users?.length ?? 0;
      read.push(`${group} (${n} member${n === 1 ? '' : 's'})`);
    } catch (error) {
      const code = platformCode(error);
      if (code === null) return unreachable(name, 'usergroups.users.list', error, botToken);
      if (code === 'missing_scope') {
        problems.push(`cannot read user group ${group}: the bot token lacks usergroups:read (missing_scope)`);
        fixes.add(addScopesFix(['usergroups:read']));
      } else if (code === 'no_such_subteam') {
        problems.push(`user group ${group} does not exist in this workspace (no_such_subteam)`);
        fixes.add(
          "correct alerts.slack_responders: a user group's id (S…) is under its ⋯ menu in Slack → Copy group ID",
        );
      } else {
        problems.push(redact(`cannot read user group ${group}: Slack answers ${code}`, [{ secret: botToken }]));
        fixes.add('see the slack line above: the bot token must work and have usergroups:read');
      }
    }
  }
  if (problems.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `${problems.join('; ')}; members of a group that cannot be read cannot use the alert buttons${read.length ? ` (readable: ${read.join(', ')})` : ''}`,
      fix: [...fixes].join('\n'),
    };
  }
  return {
    name,
    status: 'ok',
    detail: `user group${groups.length === 1 ? '' : 's'} ${read.join(', ')}${usersText ? ` and ${usersText}` : ''}${buttonsOn ? '' : ' (buttons are off)'}`,
  };
}

/** Both lines; neither throws (a check that fails to run is its own ✗). */
export async function slackButtonsChecks(config: PulsebotConfig, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const [name, check] of [
    ['slack buttons', () => checkSlackButtons(env)],
    ['slack responders', () => checkSlackResponders(config, env)],
  ] as const) {
    try {
      const r = await check();
      if (r) out.push(r);
    } catch (error) {
      out.push({ name, status: 'fail', detail: `could not check: ${redact(messageOf(error))}` });
    }
  }
  return out;
}
