import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildBlockActions,
  createFakeSocketMode,
  type FakeSocketMode,
  fakeTriggerId,
  fakeUserName,
} from './socket-mode.js';

/**
 * A local Slack Web API for tests: a real HTTP server on 127.0.0.1 that speaks the methods
 * pulsebot calls, with Slack's answer shapes (HTTP 200 + ok:false for platform errors, 429 with
 * Retry-After). State lives in this process, so clients in child processes see the same
 * channel. Where Slack's behaviour is undocumented the fake is the stricter choice (a
 * thread_ts that names no message is an error here).
 *
 * Two tokens, as a Socket Mode app has: the bot token (xoxb) for the Web API methods and the
 * app-level token (xapp) for apps.connections.open only; each is refused where the other belongs.
 * Socket Mode itself (WebSockets on the same port) is in ./socket-mode.ts, reached as `fake.socket`.
 */

/**
 * A fault for the next calls of one method ('upload' for the POST to an upload URL).
 * `delayMs` delays only the answer: the call takes effect at once, like a Slack that posted but
 * whose answer arrived too late for the client.
 */
export type SlackFault =
  | { status: 429; retryAfter: number }
  | { status: 500 }
  | { delayMs: number }
  | { error: string };

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  edited?: boolean;
}

export interface FakeSlackFile {
  id: string;
  filename: string;
  title: string;
  bytes: Buffer;
  channel: string;
  thread_ts?: string;
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
  /** The message_ts chat.postEphemeral answered. */
  ts: string;
}

export interface FakeSlack {
  /** 'http://127.0.0.1:PORT/api/': the WebClient's slackApiUrl. */
  url: string;
  /** The bot token. */
  token: string;
  /** The app-level token, the only one apps.connections.open takes. */
  appToken: string;
  messages: FakeSlackMessage[];
  files: FakeSlackFile[];
  ephemerals: FakeSlackEphemeral[];
  /** JSON bodies POSTed to response_urls (`path` is '/actions/<n>'). */
  responses: Array<{ path: string; body: unknown }>;
  calls: Array<{ method: string; body: Record<string, unknown>; at: number }>;
  socket: FakeSocketMode;
  /** `method` is a Web API method, 'upload' (an upload URL) or 'response_url'. */
  failNext(method: string, fault: SlackFault, times?: number): void;
  /** See blockActionsPayload. */
  blockActions(
    message: FakeSlackMessage,
    actionId: string,
    user: { id: string; name?: string },
    opts?: { actionTs?: string; triggerId?: string },
  ): Record<string, unknown>;
  /** Also closes every Socket Mode connection; disconnect SocketModeClients first, or they retry. */
  close(): Promise<void>;
}

const FAKE_SLACK_TOKEN = 'xoxb-fake-pulsebot-0000-token';
const FAKE_SLACK_APP_TOKEN = 'xapp-1-A0PULSEBOT-fake-app-token';
const FAKE_SLACK_APP_ID = 'A0PULSEBOT';
export const FAKE_SLACK_CHANNELS: Readonly<Record<string, string>> = {
  '#ai-usage': 'C01AIUSAGE',
  '#alerts': 'C02ALERTS',
  '#general': 'C03GENERAL',
};
const FAKE_SLACK_IDENTITY = {
  team: 'pulsebot-test',
  team_id: 'T0PULSEBOT',
  user: 'pulsebot',
  user_id: 'U0PULSEBOT',
  bot_id: 'B0PULSEBOT',
};

type Args = Record<string, unknown>;
type Reply = Record<string, unknown>;

/** Fields the WebClient sends as JSON strings inside a form-encoded body. */
const JSON_FIELDS = new Set(['blocks', 'metadata', 'files', 'attachments']);

/** A file share: the message Slack creates when files.completeUploadExternal shares files. */
interface FileShare {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  fileIds: string[];
}
interface PendingUpload {
  id: string;
  filename: string;
  length: number;
  bytes?: Buffer;
}

const fail = (error: string, extra: Reply = {}): Reply => ({ ok: false, error, ...extra });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const USER_ID = /^[UW][A-Z0-9]+$/;
const flag = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

/** ts strings compared exactly: "1700000000.000123" → 1700000000000123 µs (a safe integer). */
function micros(ts: string): number {
  const [whole = '0', frac = ''] = ts.split('.');
  return Number(whole) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

function page<T>(items: T[], args: Args, defaultLimit: number): { items: T[]; next: string } | null {
  const limit = Math.min(Math.max(Number(args.limit ?? defaultLimit) || defaultLimit, 1), 1000);
  let offset = 0;
  const cursor = str(args.cursor);
  if (cursor) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    if (!m) return null;
    offset = Number(m[1]);
  }
  const end = offset + limit;
  return {
    items: items.slice(offset, end),
    next: end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : '',
  };
}

/** Every scope pulsebot uses, public and private channels: what a correctly set-up app is granted. */
export const FAKE_SLACK_SCOPES: readonly string[] = [
  'chat:write',
  'files:write',
  'channels:read',
  'channels:history',
  'groups:read',
  'groups:history',
];

/**
 * `scopes`: what the bot token was granted, sent as Slack does in every answer's x-oauth-scopes
 * header; null sends no such header (a proxy that drops it). `appScopes`: the app-level token's
 * (default connections:write). `usergroups`: usergroup id → member user ids.
 * `socketPingIntervalMs`: how often Socket Mode connections are pinged (default 5000, 0 never);
 * a SocketModeClient's serverPingTimeout must be longer.
 */
export async function startFakeSlack(
  opts: {
    token?: string;
    appToken?: string;
    channels?: Record<string, string>;
    scopes?: readonly string[] | null;
    appScopes?: readonly string[];
    usergroups?: Record<string, string[]>;
    socketPingIntervalMs?: number;
  } = {},
): Promise<FakeSlack> {
  const token = opts.token ?? FAKE_SLACK_TOKEN;
  const appToken = opts.appToken ?? FAKE_SLACK_APP_TOKEN;
  const scopes = opts.scopes === undefined ? FAKE_SLACK_SCOPES : opts.scopes;
  const scopeHeaders: Record<string, string> = scopes === null ? {} : { 'x-oauth-scopes': scopes.join(',') };
  const appScopes = opts.appScopes ?? ['connections:write'];
  const usergroups = opts.usergroups ?? {};
  const socketMode = createFakeSocketMode({
    appId: FAKE_SLACK_APP_ID,
    pingIntervalMs: opts.socketPingIntervalMs ?? 5000,
  });
  const channels = new Map(
    Object.entries(opts.channels ?? FAKE_SLACK_CHANNELS).map(([name, id]) => [name.replace(/^#/, ''), id]),
  );
  const channelIds = new Set(channels.values());
  const messages: FakeSlackMessage[] = [];
  const files: FakeSlackFile[] = [];
  const ephemerals: FakeSlackEphemeral[] = [];
  const responses: FakeSlack['responses'] = [];
  const responseUrls = new Set<string>();
  const shares: FileShare[] = [];
  const pending = new Map<string, PendingUpload>();
  const calls: FakeSlack['calls'] = [];
  const faults = new Map<string, Array<{ fault: SlackFault; left: number }>>();
  let origin = '';
  let lastMicros = 0;
  let fileCounter = 0;
  let responseCounter = 0;

  // Unique and increasing even within one millisecond, and close to the wall clock so that
  // "the last 24 hours" queries behave as against Slack.
  const nextTs = () => {
    lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };
  const channelOf = (v: unknown, byName: boolean): string | undefined => {
    const s = str(v);
    if (!s) return undefined;
    if (channelIds.has(s)) return s;
    return byName ? channels.get(s.replace(/^#/, '')) : undefined;
  };
  const messageAt = (channel: string, ts: string) => messages.find((m) => m.channel === channel && m.ts === ts);
  const shareAt = (channel: string, ts: string) => shares.find((s) => s.channel === channel && s.ts === ts);

  const wireMessage = (m: FakeSlackMessage, withMetadata: boolean): Reply => {
    const replies =
      messages.filter((r) => r.thread_ts === m.ts).length + shares.filter((s) => s.thread_ts === m.ts).length;
    return {
      type: 'message',
      user: FAKE_SLACK_IDENTITY.user_id,
      bot_id: FAKE_SLACK_IDENTITY.bot_id,
      text: m.text,
      ts: m.ts,
      blocks: m.blocks,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : replies > 0 ? { thread_ts: m.ts, reply_count: replies } : {}),
      ...(m.edited ? { edited: { user: FAKE_SLACK_IDENTITY.user_id, ts: m.ts } } : {}),
      ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    };
  };
  const wireShare = (s: FileShare): Reply => ({
    type: 'message',
    user: FAKE_SLACK_IDENTITY.user_id,
    text: s.text,
    ts: s.ts,
    upload: true,
    ...(s.thread_ts ? { thread_ts: s.thread_ts } : {}),
    files: s.fileIds
      .map((id) => files.find((f) => f.id === id))
      .filter((f) => f !== undefined)
      .map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.bytes.length })),
  });

  const methods: Record<string, (args: Args) => Reply | Promise<Reply>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://pulsebot-test.slack.com/',
      ...FAKE_SLACK_IDENTITY,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (args) => {
      const channel = channelOf(args.channel, true);
      if (!channel) return fail('channel_not_found');
      const text = typeof args.text === 'string' ? args.text : '';
      const blocks = args.blocks ?? [];
      if (!Array.isArray(blocks)) return fail('invalid_blocks');
      if (text === '' && blocks.length === 0) return fail('no_text');
      const metadata = args.metadata;
      if (metadata !== undefined && !isMetadata(metadata)) return fail('invalid_metadata_format');
      const threadTs = str(args.thread_ts);
      if (threadTs && !messageAt(channel, threadTs)) return fail('thread_not_found');
      const message: FakeSlackMessage = {
        channel,
        ts: nextTs(),
        text,
        blocks,
        ...(metadata ? { metadata } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      };
      messages.push(message);
      return { ok: true, channel, ts: message.ts, message: wireMessage(message, true) };
    },

    'chat.update': (args) => {
      const channel = channelOf(args.channel, false);
      if (!channel) return fail('channel_not_found');
      const message = messageAt(channel, str(args.ts) ?? '');
      if (!message) return fail('message_not_found');
      if (args.blocks !== undefined && !Array.isArray(args.blocks)) return fail('invalid_blocks');
      if (typeof args.text === 'string') message.text = args.text;
      // As in Slack: new text without blocks replaces the blocks with nothing.
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      else if (typeof args.text === 'string') message.blocks = [];
      message.edited = true;
      return { ok: true, channel, ts: message.ts, text: message.text, message: wireMessage(message, true) };
    },

    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename || !Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
      fileCounter += 1;
      const id = `F${String(fileCounter).padStart(10, '0')}`;
      pending.set(id, { id, filename, length });
      return { ok: true, upload_url: `${origin}/upload/v1/${id}`, file_id: id };
    },

    'files.completeUploadExternal': (args) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
      const channelArg = str(args.channel_id);
      const channel = channelArg === undefined ? '' : channelOf(channelArg, false);
      if (channel === undefined) return fail('channel_not_found');
      const threadTs = str(args.thread_ts);
      if (threadTs && !(channel && messageAt(channel, threadTs))) return fail('thread_not_found');
      const uploads = list.map((f) => pending.get(String((f as { id?: unknown })?.id)));
      if (uploads.some((u) => u?.bytes === undefined)) return fail('file_not_found');
      const completed = list.map((f, i) => {
        const upload = uploads[i] as PendingUpload & { bytes: Buffer };
        pending.delete(upload.id);
        const title = str((f as { title?: unknown }).title) ?? upload.filename;
        const file: FakeSlackFile = {
          id: upload.id,
          filename: upload.filename,
          title,
          bytes: upload.bytes,
          channel,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        };
        files.push(file);
        return file;
      });
      if (channel) {
        shares.push({
          channel,
          ts: nextTs(),
          text: str(args.initial_comment) ?? '',
          fileIds: completed.map((f) => f.id),
          ...(threadTs ? { thread_ts: threadTs } : {}),
        });
      }
      return {
        ok: true,
        files: completed.map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.bytes.length })),
      };
    },

    'conversations.history': (args) => {
      const channel = channelOf(args.channel, false);
      if (!channel) return fail('channel_not_found');
      const inclusive = flag(args.inclusive);
      const oldest = str(args.oldest) ? micros(String(args.oldest)) : -Infinity;
      const latest = str(args.latest) ? micros(String(args.latest)) : Infinity;
      const inRange = (ts: string) => {
        const t = micros(ts);
        return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
      };
      const withMetadata = flag(args.include_all_metadata);
      const top = [
        ...messages
          .filter((m) => m.channel === channel && !m.thread_ts)
          .map((m) => ({ ts: m.ts, wire: () => wireMessage(m, withMetadata) })),
        ...shares
          .filter((s) => s.channel === channel && !s.thread_ts)
          .map((s) => ({ ts: s.ts, wire: () => wireShare(s) })),
      ]
        .filter((m) => inRange(m.ts))
        .sort((a, b) => micros(b.ts) - micros(a.ts));
      const p = page(top, args, 100);
      if (!p) return fail('invalid_cursor');
      return {
        ok: true,
        messages: p.items.map((m) => m.wire()),
        has_more: p.next !== '',
        pin_count: 0,
        response_metadata: { next_cursor: p.next },
      };
    },

    'conversations.replies': (args) => {
      const channel = channelOf(args.channel, false);
      if (!channel) return fail('channel_not_found');
      const ts = str(args.ts) ?? '';
      const found = messageAt(channel, ts);
      const parentTs = found?.thread_ts ?? (found || shareAt(channel, ts) ? ts : undefined);
      if (!parentTs) return fail('thread_not_found');
      const withMetadata = flag(args.include_all_metadata);
      const parent = messageAt(channel, parentTs);
      const parentShare = shareAt(channel, parentTs);
      const thread = [
        ...(parent
          ? [{ ts: parent.ts, wire: () => wireMessage(parent, withMetadata) }]
          : parentShare
            ? [{ ts: parentShare.ts, wire: () => wireShare(parentShare) }]
            : []),
        ...messages
          .filter((m) => m.channel === channel && m.thread_ts === parentTs)
          .map((m) => ({ ts: m.ts, wire: () => wireMessage(m, withMetadata) })),
        ...shares
          .filter((s) => s.channel === channel && s.thread_ts === parentTs)
          .map((s) => ({ ts: s.ts, wire: () => wireShare(s) })),
      ].sort((a, b) => micros(a.ts) - micros(b.ts));
      const p = page(thread, args, 1000);
      if (!p) return fail('invalid_cursor');
      return {
        ok: true,
        messages: p.items.map((m) => m.wire()),
        has_more: p.next !== '',
        response_metadata: { next_cursor: p.next },
      };
    },

    'conversations.list': (args) => {
      const all = [...channels].map(([name, id]) => ({
        id,
        name,
        is_channel: true,
        is_private: false,
        is_archived: false,
        is_member: true,
      }));
      const p = page(all, args, 100);
      if (!p) return fail('invalid_cursor');
      return { ok: true, channels: p.items, response_metadata: { next_cursor: p.next } };
    },

    'chat.postEphemeral': (args) => {
      const channel = channelOf(args.channel, true);
      if (!channel) return fail('channel_not_found');
      const user = str(args.user);
      if (!user || !USER_ID.test(user)) return fail('user_not_found');
      const text = typeof args.text === 'string' ? args.text : '';
      const blocks = args.blocks ?? [];
      if (!Array.isArray(blocks)) return fail('invalid_blocks');
      if (text === '' && blocks.length === 0) return fail('no_text');
      const threadTs = str(args.thread_ts);
      if (threadTs && !messageAt(channel, threadTs)) return fail('thread_not_found');
      const ephemeral: FakeSlackEphemeral = {
        channel,
        user,
        text,
        blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ts: nextTs(),
      };
      ephemerals.push(ephemeral);
      return { ok: true, message_ts: ephemeral.ts };
    },

    'usergroups.users.list': (args) => {
      const id = str(args.usergroup);
      const users = id === undefined ? undefined : usergroups[id];
      if (!users) return fail('no_such_subteam');
      return { ok: true, users: [...users] };
    },

    'users.info': (args) => {
      const id = str(args.user);
      if (!id || !USER_ID.test(id)) return fail('user_not_found');
      const name = fakeUserName(id);
      return {
        ok: true,
        user: {
          id,
          team_id: FAKE_SLACK_IDENTITY.team_id,
          name,
          real_name: name,
          tz: 'UTC',
          deleted: false,
          is_bot: false,
        },
      };
    },
  };

  /** Methods only the app-level token may call. */
  const appMethods: Record<string, (args: Args) => Reply> = {
    'apps.connections.open': () =>
      !appScopes.includes('connections:write')
        ? fail('missing_scope', { needed: 'connections:write', provided: appScopes.join(',') })
        : socketMode.refusingOpen()
          ? fail('internal_error')
          : { ok: true, url: socketMode.mintUrl(origin) },
  };

  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** The fault for this call, if one is queued for the method. */
  const takeFault = (method: string): SlackFault | undefined => {
    const queue = faults.get(method);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.left -= 1;
    if (head.left <= 0) queue.shift();
    return head.fault;
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body);
  };

  /** Answers a call, applying its fault: 429/500/error replace the answer, delayMs postpones it. */
  const respond = async (
    res: ServerResponse,
    fault: SlackFault | undefined,
    work: () => Promise<{ status: number; body: string; headers?: Record<string, string> }>,
  ) => {
    if (fault && 'status' in fault && fault.status === 429) {
      return send(res, 429, JSON.stringify(fail('ratelimited')), { 'retry-after': String(fault.retryAfter) });
    }
    if (fault && 'status' in fault && fault.status === 500) {
      return send(
        res,
        500,
        '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>',
        { 'content-type': 'text/html' },
      );
    }
    if (fault && 'error' in fault) return send(res, 200, JSON.stringify(fail(fault.error)));
    const answer = await work();
    if (fault && 'delayMs' in fault) await sleep(fault.delayMs);
    send(res, answer.status, answer.body, answer.headers);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string, raw: Buffer) => {
    let args: Args;
    try {
      args = parseArgs(String(req.headers['content-type'] ?? ''), raw);
    } catch {
      return send(res, 200, JSON.stringify(fail('invalid_form_data')));
    }
    const { token: bodyToken, ...body } = args;
    calls.push({ method, body, at: Date.now() });
    await respond(res, takeFault(method), async () => {
      const header = String(req.headers.authorization ?? '');
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : str(bodyToken);
      const forApp = Object.hasOwn(appMethods, method);
      const handler = forApp ? appMethods[method] : methods[method];
      const rightToken = forApp ? appToken : token;
      const reply = !handler
        ? fail('unknown_method')
        : given === undefined
          ? fail('not_authed')
          : given === rightToken
            ? await handler(args)
            : given === token || given === appToken
              ? fail('not_allowed_token_type')
              : fail('invalid_auth');
      const headers = given === appToken ? { 'x-oauth-scopes': appScopes.join(',') } : scopeHeaders;
      return { status: 200, body: JSON.stringify(reply), headers };
    });
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, id: string, raw: Buffer) => {
    const bytes = await uploadedBytes(String(req.headers['content-type'] ?? ''), raw);
    calls.push({ method: 'upload', body: { file_id: id, length: bytes.length }, at: Date.now() });
    await respond(res, takeFault('upload'), async () => {
      const upload = pending.get(id);
      if (!upload) return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
      if (bytes.length !== upload.length)
        return {
          status: 400,
          body: `length mismatch: expected ${upload.length}, got ${bytes.length}`,
          headers: { 'content-type': 'text/plain' },
        };
      upload.bytes = bytes;
      return { status: 200, body: `OK - ${bytes.length}`, headers: { 'content-type': 'text/plain' } };
    });
  };

  /** A response_url POST: JSON recorded as the app sent it, answered as Slack does. */
  const handleResponse = async (res: ServerResponse, path: string, raw: Buffer) => {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = raw.toString('utf8');
    }
    calls.push({ method: 'response_url', body: { path }, at: Date.now() });
    await respond(res, takeFault('response_url'), async () => {
      if (!responseUrls.has(path)) return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
      if (typeof body !== 'object' || body === null)
        return { status: 400, body: 'invalid_payload', headers: { 'content-type': 'text/plain' } };
      responses.push({ path, body });
      return { status: 200, body: JSON.stringify({ ok: true }) };
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const upload = /^\/upload\/v1\/([A-Z0-9]+)$/.exec(path);
      const work = path.startsWith('/api/')
        ? handleApi(req, res, path.slice('/api/'.length), raw)
        : upload && req.method === 'POST'
          ? handleUpload(req, res, upload[1] ?? '', raw)
          : path.startsWith('/actions/') && req.method === 'POST'
            ? handleResponse(res, path, raw)
            : Promise.resolve(send(res, 404, 'Not Found', { 'content-type': 'text/plain' }));
      work.catch((error: unknown) => send(res, 500, `fake slack: ${String(error)}`, { 'content-type': 'text/plain' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('upgrade', socketMode.handleUpgrade);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/api/`,
    token,
    appToken,
    messages,
    files,
    ephemerals,
    responses,
    calls,
    socket: socketMode.api,
    blockActions(message, actionId, user, o = {}) {
      // The live message if it is still there: a click sees the blocks as updated since.
      const live = messageAt(message.channel, message.ts) ?? message;
      responseCounter += 1;
      const responsePath = `/actions/${responseCounter}`;
      responseUrls.add(responsePath);
      return buildBlockActions({
        message: live,
        wire: wireMessage(live, false),
        channelName: [...channels].find(([, id]) => id === live.channel)?.[0] ?? live.channel,
        actionId,
        user,
        responseUrl: `${origin}${responsePath}`,
        actionTs: o.actionTs ?? nextTs(),
        triggerId: o.triggerId ?? fakeTriggerId(),
        appId: FAKE_SLACK_APP_ID,
        team: { id: FAKE_SLACK_IDENTITY.team_id, domain: FAKE_SLACK_IDENTITY.team },
      });
    },
    failNext(method, fault, times = 1) {
      const queue = faults.get(method) ?? [];
      queue.push({ fault, left: times });
      faults.set(method, queue);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await socketMode.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A block_actions payload for `user` clicking the button `actionId` (in any actions block) of
 * `message`, as Slack sends it in an 'interactive' envelope: `message` in the wire form
 * conversations.history gives (no metadata), a fresh response_url served by the fake, a unique
 * action_ts and trigger_id unless given. Throws if the message has no such button.
 */
export function blockActionsPayload(
  fake: FakeSlack,
  message: FakeSlackMessage,
  actionId: string,
  user: { id: string; name?: string },
  opts?: { actionTs?: string; triggerId?: string },
): Record<string, unknown> {
  return fake.blockActions(message, actionId, user, opts);
}

function isMetadata(v: unknown): v is { event_type: string; event_payload: Record<string, unknown> } {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.event_type === 'string' &&
    typeof m.event_payload === 'object' &&
    m.event_payload !== null &&
    !Array.isArray(m.event_payload)
  );
}

/** Slack accepts form-encoded and JSON bodies; structured fields arrive as JSON strings in forms. */
function parseArgs(contentType: string, raw: Buffer): Args {
  const text = raw.toString('utf8');
  if (contentType.includes('application/json')) {
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('JSON body must be an object');
    return parsed as Args;
  }
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = JSON_FIELDS.has(key) && /^\s*[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

/** The bytes of an upload: the raw body, or the first file part of a multipart form (the WebClient's way). */
async function uploadedBytes(contentType: string, raw: Buffer): Promise<Buffer> {
  if (!contentType.startsWith('multipart/form-data')) return raw;
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  for (const [, value] of form) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}
