import { SocketModeClient } from '@slack/socket-mode';
import { type Logger as SlackLogger, LogLevel, WebClient } from '@slack/web-api';
import type { SlackResponder } from '../alerts/apply-slack-action.js';
import { silentSlackLogger } from '../delivery/slack-transport.js';
import { messageOf } from '../errors.js';
import { redact } from '../redact.js';

/**
 * The Slack Socket Mode connection that receives clicks on alert buttons: no public URL, an
 * app-level token (SLACK_APP_TOKEN, connections:write). Every envelope is acknowledged at once
 * (Slack retries unacknowledged ones after 3 s), then interactive ones go to `onInteractive`.
 * The client reconnects by itself; this tracks since when the connection has been down, for
 * /readyz, and retries a start that failed for good (a revoked token) every minute.
 */

export interface SlackSocketOptions {
  appToken: string;
  /** The bot token, for the ephemeral "not allowed" and user group look-ups. */
  botToken: string | undefined;
  /** SLACK_API_URL: Slack's API unless set (tests, proxies). */
  apiUrl?: string;
  onInteractive(body: unknown): Promise<void>;
  log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;
  now: () => Date;
  onConnectedChange?: (connected: boolean) => void;
  /** How long the client waits for a pong, and the unit of its reconnect delays (tests shorten it). */
  clientPingTimeoutMs?: number;
  serverPingTimeoutMs?: number;
}

export interface SlackSocketState {
  connected: boolean;
  /** Since when the connection has been down (or never up since start); null while up. */
  downSince: Date | null;
  lastError: string | null;
}

export interface SlackSocket {
  start(): void;
  state(): SlackSocketState;
  stop(): Promise<void>;
  responder: SlackResponder;
}

const RESTART_AFTER_FAILURE_MS = 60_000;
const GROUP_CACHE_MS = 5 * 60_000;

export function createSlackSocket(opts: SlackSocketOptions): SlackSocket {
  const secrets = [opts.appToken, opts.botToken].filter((t): t is string => !!t).map((secret) => ({ secret }));
  const clean = (text: string) => redact(text, secrets);
  const client = new SocketModeClient({
    appToken: opts.appToken,
    logger: forwardingLogger((level, text) => opts.log(level, { event: 'slack.socket_client' }, clean(text))),
    clientPingTimeout: opts.clientPingTimeoutMs ?? 5_000,
    serverPingTimeout: opts.serverPingTimeoutMs ?? 30_000,
    clientOptions: { ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}) },
  });
  const web = new WebClient(opts.botToken, {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 500 },
    logger: silentSlackLogger,
  });

  let connected = false;
  let downSince: Date | null = opts.now();
  let lastError: string | null = null;
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;
  const setConnected = (up: boolean) => {
    if (up === connected) return;
    connected = up;
    downSince = up ? null : opts.now();
    opts.onConnectedChange?.(up);
    if (up) opts.log('info', { event: 'slack.socket_connected' }, 'Slack Socket Mode connected: alert buttons work');
    else if (!stopped) opts.log('warn', { event: 'slack.socket_down' }, 'Slack Socket Mode disconnected; reconnecting');
  };
  client.on('connected', () => {
    lastError = null;
    setConnected(true);
  });
  for (const e of ['disconnected', 'reconnecting', 'close']) client.on(e, () => setConnected(false));

  client.on('slack_event', async ({ ack, type, body }: { ack: () => Promise<void>; type: string; body: unknown }) => {
    try {
      await ack();
    } catch (error) {
      opts.log(
        'warn',
        { event: 'slack.ack_failed', error: clean(messageOf(error)) },
        'could not acknowledge a Slack envelope',
      );
    }
    if (type !== 'interactive') return;
    try {
      await opts.onInteractive(body);
    } catch (error) {
      opts.log(
        'error',
        { event: 'slack.action_failed', error: clean(messageOf(error)) },
        `a click on a Slack alert button failed: ${clean(messageOf(error))}`,
      );
    }
  });

  const begin = () => {
    if (stopped) return;
    client.start().catch((error: unknown) => {
      lastError = clean(messageOf(error));
      setConnected(false);
      opts.log(
        'error',
        { event: 'slack.socket_failed', error: lastError },
        `Slack Socket Mode could not connect: ${lastError} (check SLACK_APP_TOKEN: an app-level token xapp-… with connections:write); retrying in ${RESTART_AFTER_FAILURE_MS / 1000} s`,
      );
      restart = setTimeout(begin, RESTART_AFTER_FAILURE_MS);
      restart.unref();
    });
  };

  const groups = new Map<string, { at: number; members: string[] }>();
  const responder: SlackResponder = {
    async postEphemeral(channel, user, text, threadTs) {
      await web.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    },
    async membersOf(groupId) {
      const cached = groups.get(groupId);
      const now = opts.now().getTime();
      if (cached && now - cached.at < GROUP_CACHE_MS) return cached.members;
      const res = await web.usergroups.users.list({ usergroup: groupId });
      const members = res.users ?? [];
      groups.set(groupId, { at: now, members });
      return members;
    },
  };

  return {
    start: begin,
    state: () => ({ connected, downSince, lastError }),
    responder,
    async stop() {
      stopped = true;
      clearTimeout(restart);
      await client.disconnect().catch(() => {});
    },
  };
}

/** The Slack SDK's logger interface onto ours: warnings and errors only (debug output carries payloads). */
function forwardingLogger(write: (level: 'warn' | 'error', text: string) => void): SlackLogger {
  let level = LogLevel.WARN;
  return {
    debug() {},
    info() {},
    warn: (...msg: unknown[]) => write('warn', msg.map(String).join(' ')),
    error: (...msg: unknown[]) => write('error', msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName() {},
  };
}
