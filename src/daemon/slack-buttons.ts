import { handleClick } from '../alerts/apply-slack-action.js';
import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { deliverConfigOf } from '../delivery/deliver-config.js';
import { deliverDue } from '../delivery/dispatch.js';
import type { Transports } from '../delivery/transports.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import type { Logger } from './logger.js';
import { createSlackSocket, type SlackSocket, type SlackSocketState } from './slack-socket.js';

/**
 * The daemon's side of the Slack alert buttons: a Socket Mode connection whose clicks are applied
 * (src/alerts/apply-slack-action.ts), counted on /metrics, and whose replies are delivered at once.
 */

/** /readyz turns not ready once the connection has been down this long (reconnects take seconds). */
export const SOCKET_DOWN_GRACE_MS = 120_000;

export interface SlackButtonsDeps {
  appToken: string;
  env: NodeJS.ProcessEnv;
  config: PulsebotConfig;
  sql: Sql;
  transports: Transports;
  now: () => Date;
  log: Logger;
  metrics: DaemonMetrics;
  deliveryLog: (event: Record<string, unknown>) => void;
  /** Tests shorten the client's ping timeout, the unit of its reconnect delays. */
  clientPingTimeoutMs?: number;
}

export function startSlackButtons(deps: SlackButtonsDeps): SlackSocket {
  const { log, metrics } = deps;
  const socket: SlackSocket = createSlackSocket({
    appToken: deps.appToken,
    botToken: deps.env.SLACK_BOT_TOKEN?.trim(),
    ...(deps.env.SLACK_API_URL ? { apiUrl: deps.env.SLACK_API_URL } : {}),
    now: deps.now,
    ...(deps.clientPingTimeoutMs ? { clientPingTimeoutMs: deps.clientPingTimeoutMs } : {}),
    log: (level, fields, message) => log[level](fields, message),
    onConnectedChange: (up) => metrics.slackSocketConnected.set({}, up ? 1 : 0),
    async onInteractive(body) {
      const result = await handleClick(
        {
          sql: deps.sql,
          config: deps.config,
          now: deps.now,
          log: deps.deliveryLog,
          slack: socket.responder,
          deliver: () =>
            deliverDue({
              sql: deps.sql,
              transports: deps.transports,
              now: deps.now,
              config: deliverConfigOf(deps.config),
              log: deps.deliveryLog,
              files: deps.transports.files,
            }),
        },
        body,
      );
      if (result.status !== 'ignored' && result.status !== 'duplicate')
        metrics.alertActions.inc({ action: result.click.action, outcome: result.status });
    },
  });
  metrics.slackSocketConnected.set({}, 0);
  socket.start();
  return socket;
}

/** Why /readyz should say not ready about the Socket Mode connection, or null. */
export function socketReadinessReason(
  state: SlackSocketState,
  now: Date,
  graceMs = SOCKET_DOWN_GRACE_MS,
): string | null {
  if (state.connected || !state.downSince) return null;
  const downMs = now.getTime() - state.downSince.getTime();
  if (downMs < graceMs) return null;
  const error = state.lastError ? ` (${state.lastError})` : '';
  return `Slack Socket Mode down since ${state.downSince.toISOString()}${error}: alert buttons do nothing`;
}
