import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The Socket Mode half of the fake Slack: WebSocket connections at the URLs apps.connections.open
 * hands out, Slack's hello/disconnect messages, envelopes pushed to the app and the acks it sends
 * back. startFakeSlack mounts it on its HTTP server; tests drive it through `fake.socket`.
 */

/** One ack received: `socketId` is the connection's serial number (the n of its /socket-mode/n URL). */
export interface FakeSocketAck {
  envelopeId: string;
  socketId: number;
  payload: Record<string, unknown> | undefined;
  at: number;
}

export interface FakeSocketMode {
  /** Connections open now (a socket being closed by drop() no longer counts). */
  connections(): number;
  /** Resolves once exactly n connections are open; rejects after timeoutMs (default 5000). */
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  /**
   * Sends one envelope `{envelope_id, type, payload, accepts_response_payload: false}` to the open
   * connection at index `connection` (default 0, the oldest) and resolves with its ack's payload.
   * Rejects at once if there is no such connection, and after timeoutMs (default 5000) without an ack.
   */
  sendEnvelope(
    type: string,
    payload: Record<string, unknown>,
    opts?: { connection?: number; timeoutMs?: number },
  ): Promise<{ envelopeId: string; ack: Record<string, unknown> | undefined }>;
  /** sendEnvelope('interactive', payload, opts): a click. */
  sendInteractive(
    payload: Record<string, unknown>,
    opts?: { connection?: number; timeoutMs?: number },
  ): Promise<{ envelopeId: string; ack: Record<string, unknown> | undefined }>;
  /**
   * Sends one 'interactive' envelope, same envelope_id, to every open connection (replicas that
   * must apply one click once). Resolves with the acks received once every connection has acked,
   * or when timeoutMs (default 3000) has passed, whichever is first; never rejects.
   */
  broadcastSameEnvelope(payload: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<FakeSocketAck[]>;
  /** Every ack received, in order of arrival. */
  acks: FakeSocketAck[];
  /** Closes every open connection with code 1001, as Slack does when it recycles a host. */
  drop(): void;
  /**
   * While on, new connections fail; open ones are left alone. A SocketModeClient keeps retrying
   * (every clientPingTimeout × attempts ms) until it is off again.
   * - 'open' (default): apps.connections.open answers `{ok:false, error:'internal_error'}`, an
   *   error the client retries. Safe to `client.disconnect()` while refused.
   * - 'upgrade': apps.connections.open succeeds and the WebSocket upgrade gets HTTP 503. Each
   *   failed attempt leaves a start() promise pending inside SocketModeClient 3.1.0 that
   *   disconnect() rejects with nobody to catch it (an unhandled rejection in vitest): turn it off
   *   and wait for the client's 'connected' before disconnecting.
   */
  refuse(on: boolean, mode?: 'open' | 'upgrade'): void;
  /** Sends `{"type":"disconnect","reason":…}` to every open connection; clients close and reconnect. */
  sendDisconnect(reason?: string): void;
}

export interface SocketModeServer {
  api: FakeSocketMode;
  /** A fresh single-use ws:// URL for apps.connections.open. */
  mintUrl(origin: string): string;
  /** True while refuse(true, 'open') holds: apps.connections.open must fail. */
  refusingOpen(): boolean;
  /** The HTTP server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

interface OpenSocket {
  id: number;
  ws: WebSocket;
}

/**
 * `pingIntervalMs`: how often the server pings each connection (0: never). SocketModeClient arms
 * its serverPingTimeout only after the first ping, so it must be longer than this interval.
 */
export function createFakeSocketMode(opts: { appId: string; pingIntervalMs: number }): SocketModeServer {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<number>();
  const open: OpenSocket[] = [];
  const acks: FakeSocketAck[] = [];
  const ackListeners = new Set<(ack: FakeSocketAck) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const cancels = new Set<() => void>();
  let counter = 0;
  let refusal: 'open' | 'upgrade' | null = null;
  let closed = false;

  const live = () => open.filter((s) => s.ws.readyState === WebSocket.OPEN);
  const sendJson = (s: OpenSocket, message: unknown) => s.ws.send(JSON.stringify(message));
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const onConnection = (ws: WebSocket, id: number) => {
    const socket: OpenSocket = { id, ws };
    open.push(socket);
    const ping = opts.pingIntervalMs > 0 ? setInterval(() => ws.ping(), opts.pingIntervalMs) : undefined;
    // A client that vanishes mid-frame must not become an unhandled 'error' in the test process.
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(ping);
      open.splice(open.indexOf(socket), 1);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      const { envelope_id: envelopeId, payload } = message as { envelope_id?: unknown; payload?: unknown };
      if (typeof envelopeId !== 'string') return;
      const ack: FakeSocketAck = {
        envelopeId,
        socketId: id,
        payload:
          typeof payload === 'object' && payload !== null && !Array.isArray(payload)
            ? (payload as Record<string, unknown>)
            : undefined,
        at: Date.now(),
      };
      acks.push(ack);
      for (const listener of [...ackListeners]) listener(ack);
    });
    sendJson(socket, {
      type: 'hello',
      num_connections: live().length,
      debug_info: { host: 'fake' },
      connection_info: { app_id: opts.appId },
    });
  };

  /** Acks of one envelope until `want` have arrived or timeoutMs passes; `onTimeout` decides the outcome. */
  const collectAcks = (
    envelopeId: string,
    want: number,
    timeoutMs: number,
    onTimeout: (got: FakeSocketAck[]) => Error | null,
  ): Promise<FakeSocketAck[]> =>
    new Promise((resolve, reject) => {
      const got: FakeSocketAck[] = [];
      const finish = (error: Error | null) => {
        ackListeners.delete(listener);
        cancels.delete(cancel);
        clearTimeout(timer);
        timers.delete(timer);
        if (error) reject(error);
        else resolve(got);
      };
      const listener = (ack: FakeSocketAck) => {
        if (ack.envelopeId !== envelopeId) return;
        got.push(ack);
        if (got.length >= want) finish(null);
      };
      const cancel = () => finish(new Error(`fake Slack closed while envelope ${envelopeId} awaited its ack`));
      const timer = later(timeoutMs, () => finish(onTimeout(got)));
      ackListeners.add(listener);
      cancels.add(cancel);
    });

  const sendEnvelope: FakeSocketMode['sendEnvelope'] = async (type, payload, o = {}) => {
    const index = o.connection ?? 0;
    const timeoutMs = o.timeoutMs ?? 5000;
    const sockets = live();
    const target = sockets[index];
    if (!target) throw new Error(`fake Slack: no open Socket Mode connection #${index} (${sockets.length} open)`);
    const envelopeId = randomUUID();
    const acked = collectAcks(
      envelopeId,
      1,
      timeoutMs,
      () =>
        new Error(
          `fake Slack: ${type} envelope ${envelopeId} sent on Socket Mode connection #${index} (socket ${target.id}) ` +
            `was not acknowledged within ${timeoutMs} ms (${live().length} connections open now)`,
        ),
    );
    sendJson(target, { envelope_id: envelopeId, type, payload, accepts_response_payload: false });
    const [ack] = await acked;
    return { envelopeId, ack: ack?.payload };
  };

  const api: FakeSocketMode = {
    acks,
    connections: () => live().length,
    waitForConnections(n, timeoutMs = 5000) {
      const started = Date.now();
      // Polled every 10 ms: simpler than hooking every open, close and drop, and quick enough.
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          cancels.delete(cancel);
          reject(new Error(`fake Slack: expected ${n} open Socket Mode connections within ${timeoutMs} ms, ${why}`));
        };
        const cancel = () => fail('but the fake was closed');
        cancels.add(cancel);
        const check = () => {
          const have = live().length;
          if (have === n) {
            cancels.delete(cancel);
            return resolve();
          }
          if (Date.now() - started >= timeoutMs) return fail(`have ${have}`);
          later(10, check);
        };
        check();
      });
    },
    sendEnvelope,
    sendInteractive: (payload, o) => sendEnvelope('interactive', payload, o),
    async broadcastSameEnvelope(payload, o = {}) {
      const sockets = live();
      if (sockets.length === 0) return [];
      const envelopeId = randomUUID();
      const acked = collectAcks(envelopeId, sockets.length, o.timeoutMs ?? 3000, () => null);
      for (const s of sockets)
        sendJson(s, { envelope_id: envelopeId, type: 'interactive', payload, accepts_response_payload: false });
      return acked;
    },
    drop() {
      for (const s of live()) s.ws.close(1001, 'going away');
    },
    refuse(on, mode = 'open') {
      refusal = on ? mode : null;
    },
    sendDisconnect(reason = 'refresh_requested') {
      for (const s of live()) sendJson(s, { type: 'disconnect', reason, debug_info: { host: 'fake' } });
    },
  };

  return {
    api,
    mintUrl(origin) {
      counter += 1;
      tickets.add(counter);
      return `${origin.replace(/^http/, 'ws')}/socket-mode/${counter}`;
    },
    refusingOpen: () => refusal === 'open',
    handleUpgrade(req, socket, head) {
      const m = /^\/socket-mode\/(\d+)$/.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
      // Single use, like Slack's ticketed URLs: every connection needs its own apps.connections.open.
      if (!m || !tickets.delete(Number(m[1]))) return refuseUpgrade(socket, 404, 'Not Found');
      if (refusal === 'upgrade' || closed) return refuseUpgrade(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, Number(m[1])));
    },
    async close() {
      closed = true;
      for (const cancel of [...cancels]) cancel();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of [...open]) s.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number, reason: string) {
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** What users.info and a click's `user` call a user when the test gives no name. */
export const fakeUserName = (id: string): string => `user-${id.toLowerCase()}`;

/** Slack-shaped, and unique: a trigger_id is good for one views.open. */
export const fakeTriggerId = (): string =>
  `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;

/**
 * A block_actions payload as Slack sends it when `user` clicks the button `actionId` of a bot
 * message. `wire` is the message as conversations.history returns it; message metadata is left out
 * (the stricter choice: the click is not relied on to carry it).
 */
export function buildBlockActions(input: {
  message: { channel: string; ts: string; thread_ts?: string; blocks: unknown[] };
  wire: Record<string, unknown>;
  channelName: string;
  actionId: string;
  user: { id: string; name?: string };
  responseUrl: string;
  actionTs: string;
  triggerId: string;
  appId: string;
  team: { id: string; domain: string };
}): Record<string, unknown> {
  const { message, actionId, user } = input;
  const found = findButton(message.blocks, actionId);
  if (!found) {
    const known = allActionIds(message.blocks);
    throw new Error(
      `fake Slack: no button with action_id '${actionId}' in an actions block of message ${message.ts} ` +
        `(action_ids there: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
  const { button, blockId } = found;
  const name = user.name ?? fakeUserName(user.id);
  return {
    type: 'block_actions',
    user: { id: user.id, username: name, name, team_id: input.team.id },
    api_app_id: input.appId,
    token: 'fake-verification-token',
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: message.channel,
      is_ephemeral: false,
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    },
    trigger_id: input.triggerId,
    team: { id: input.team.id, domain: input.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: input.channelName },
    message: input.wire,
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: blockId,
        text: button.text,
        ...(button.value !== undefined ? { value: button.value } : {}),
        ...(button.style !== undefined ? { style: button.style } : {}),
        type: 'button',
        action_ts: input.actionTs,
      },
    ],
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const actionsBlocks = (blocks: unknown[]) =>
  blocks.map((b, i) => ({ b, i })).filter(({ b }) => isObj(b) && b.type === 'actions' && Array.isArray(b.elements));

function findButton(blocks: unknown[], actionId: string): { button: Obj; blockId: string } | undefined {
  for (const { b, i } of actionsBlocks(blocks)) {
    const block = b as Obj;
    const button = (block.elements as unknown[]).find(
      (e): e is Obj => isObj(e) && e.type === 'button' && e.action_id === actionId,
    );
    // Slack generates a block_id where the app gave none; a stable stand-in here.
    if (button) return { button, blockId: typeof block.block_id === 'string' ? block.block_id : `fake-block-${i}` };
  }
  return undefined;
}

function allActionIds(blocks: unknown[]): string[] {
  return actionsBlocks(blocks).flatMap(({ b }) =>
    ((b as Obj).elements as unknown[]).flatMap((e) =>
      isObj(e) && typeof e.action_id === 'string' ? [e.action_id] : [],
    ),
  );
}
