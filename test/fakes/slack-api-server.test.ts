import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { blockActionsPayload, startFakeSlack, type FakeSlack } from './slack-api-server.js';

/** The fake itself: the shapes the transport and the crash tests rely on. */

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack({
    token: 'xoxb-fake-test',
    channels: { '#ai-usage': 'C01AIUSAGE', '#alerts': 'C02ALERTS', '#ops': 'C03OPSXX' },
  });
});
afterEach(async () => {
  await slack.close();
});

async function api(method: string, body: Record<string, unknown>, token: string | null = slack.token) {
  const res = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const json = async (method: string, body: Record<string, unknown>, token?: string | null) =>
  JSON.parse((await api(method, body, token)).text) as Record<string, unknown> & { ok: boolean; error?: string };

describe('fake Slack Web API', () => {
  it('checks the bearer token and knows its methods', async () => {
    expect(await json('auth.test', {}, 'xoxb-wrong')).toMatchObject({ ok: false, error: 'invalid_auth' });
    expect(await json('auth.test', {}, null)).toMatchObject({ ok: false, error: 'not_authed' });
    expect(await json('auth.test', {})).toMatchObject({ ok: true, team: 'pulsebot-test', user: 'pulsebot' });
    expect(await json('chat.delete', { channel: 'C01AIUSAGE', ts: '1.000001' })).toMatchObject({
      ok: false,
      error: 'unknown_method',
    });
  });

  it('posts by #name, name or id (form-encoded from the WebClient) and lists top-level history newest first', async () => {
    const client = new WebClient(slack.token, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const a = await client.chat.postMessage({
      channel: '#ai-usage',
      text: 'one',
      blocks: [{ type: 'section', text: { type: 'plain_text', text: 'one' } }],
      metadata: { event_type: 'pulsebot_message', event_payload: { pulsebot_key: 'k1' } },
    });
    const b = await client.chat.postMessage({ channel: 'ai-usage', text: 'two' });
    const reply = await client.chat.postMessage({ channel: 'C01AIUSAGE', text: 'in thread', thread_ts: a.ts! });
    expect(a.channel).toBe('C01AIUSAGE');
    expect(b.channel).toBe('C01AIUSAGE');
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(slack.messages[0]).toMatchObject({
      text: 'one',
      blocks: [{ type: 'section' }],
      metadata: { event_payload: { pulsebot_key: 'k1' } },
    });
    expect(slack.messages[2]).toMatchObject({ text: 'in thread', thread_ts: a.ts });

    const plain = await client.conversations.history({ channel: 'C01AIUSAGE' });
    expect(plain.messages?.map((m) => m.text)).toEqual(['two', 'one']);
    expect(plain.messages?.[1]?.metadata).toBeUndefined();
    const withMeta = await client.conversations.history({
      channel: 'C01AIUSAGE',
      include_all_metadata: true,
      oldest: b.ts!,
      inclusive: true,
    });
    expect(withMeta.messages?.map((m) => m.text)).toEqual(['two']);
    const all = await client.conversations.history({ channel: 'C01AIUSAGE', include_all_metadata: true });
    expect(all.messages?.[1]?.metadata?.event_payload).toEqual({ pulsebot_key: 'k1' });

    const thread = await client.conversations.replies({ channel: 'C01AIUSAGE', ts: a.ts! });
    expect(thread.messages?.map((m) => m.ts)).toEqual([a.ts, reply.ts]);
    await expect(client.chat.postMessage({ channel: '#nope', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(client.conversations.history({ channel: '#ai-usage' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });

  it('chat.update needs an id and ts; text without blocks wipes the blocks', async () => {
    const posted = await json('chat.postMessage', {
      channel: '#alerts',
      text: 'firing',
      blocks: [{ type: 'divider' }],
    });
    expect(await json('chat.update', { channel: '#alerts', ts: posted.ts, text: 'x' })).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await json('chat.update', { channel: 'C02ALERTS', ts: '1.000001', text: 'x' })).toMatchObject({
      error: 'message_not_found',
    });
    expect(await json('chat.update', { channel: 'C02ALERTS', ts: posted.ts, text: 'resolved' })).toMatchObject({
      ok: true,
    });
    expect(slack.messages[0]).toMatchObject({ text: 'resolved', blocks: [], edited: true });
  });

  it('filesUploadV2 (multipart) stores the exact bytes and shares them in the thread', async () => {
    const client = new WebClient(slack.token, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const parent = await client.chat.postMessage({ channel: '#ai-usage', text: 'digest' });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0d, 0x0a, 0x1a]);
    await client.filesUploadV2({
      channel_id: 'C01AIUSAGE',
      thread_ts: parent.ts!,
      file_uploads: [{ file: bytes, filename: 'cost.png', title: 'Cost' }],
    });
    expect(slack.files).toHaveLength(1);
    expect(slack.files[0]).toMatchObject({
      filename: 'cost.png',
      title: 'Cost',
      channel: 'C01AIUSAGE',
      thread_ts: parent.ts,
    });
    expect(slack.files[0]!.bytes.equals(bytes)).toBe(true);
    const thread = await client.conversations.replies({ channel: 'C01AIUSAGE', ts: parent.ts! });
    expect(thread.messages?.[1]?.files?.map((f) => [f.name, f.title])).toEqual([['cost.png', 'Cost']]);
    // Shares in a thread are not top-level messages.
    expect((await client.conversations.history({ channel: 'C01AIUSAGE' })).messages).toHaveLength(1);
  });

  it('accepts a raw upload body and rejects a length that does not match', async () => {
    const url = await json('files.getUploadURLExternal', { filename: 'a.bin', length: 3 });
    const wrong = await fetch(String(url.upload_url), { method: 'POST', body: Buffer.from('four') });
    expect(wrong.status).toBe(400);
    const right = await fetch(String(url.upload_url), { method: 'POST', body: Buffer.from('abc') });
    expect(right.status).toBe(200);
    expect(
      await json('files.completeUploadExternal', { files: [{ id: url.file_id }], channel_id: 'C03OPSXX' }),
    ).toMatchObject({ ok: true });
    expect(slack.files[0]?.bytes.toString()).toBe('abc');
    expect(
      await json('files.completeUploadExternal', { files: [{ id: 'F999' }], channel_id: 'C03OPSXX' }),
    ).toMatchObject({ error: 'file_not_found' });
  });

  it('applies faults to the next N calls of one method only', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 }, 2);
    slack.failNext('auth.test', { status: 500 });
    for (let i = 0; i < 2; i++) {
      const limited = await api('chat.postMessage', { channel: '#ops', text: 'x' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
    }
    const failed = await api('auth.test', {});
    expect(failed.status).toBe(500);
    expect(failed.text).toContain('<html>');
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await json('chat.postMessage', { channel: '#ops', text: 'x' })).toMatchObject({
      ok: false,
      error: 'not_in_channel',
    });
    expect(await json('chat.postMessage', { channel: '#ops', text: 'x' })).toMatchObject({ ok: true });
    expect(slack.messages).toHaveLength(1);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(4);
  });

  it('a delayed answer still takes effect at once', async () => {
    slack.failNext('chat.postMessage', { delayMs: 3000 });
    let answered = false;
    const answer = json('chat.postMessage', { channel: '#ops', text: 'late' }).finally(() => {
      answered = true;
    });
    await expect.poll(() => slack.messages.length, { timeout: 2500 }).toBe(1);
    expect(answered).toBe(false);
    expect(await answer).toMatchObject({ ok: true });
  });

  it('pages conversations.list with a cursor', async () => {
    const client = new WebClient(slack.token, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const first = await client.conversations.list({ limit: 2, types: 'public_channel' });
    expect(first.channels?.map((c) => c.name)).toEqual(['ai-usage', 'alerts']);
    const next = first.response_metadata?.next_cursor;
    expect(next).toBeTruthy();
    const second = await client.conversations.list({ limit: 2, cursor: next! });
    expect(second.channels?.map((c) => [c.name, c.id])).toEqual([['ops', 'C03OPSXX']]);
    expect(second.response_metadata?.next_cursor).toBe('');
  });
});

describe('fake Slack Socket Mode and interactivity', () => {
  const clients: SocketModeClient[] = [];
  afterEach(async () => {
    // Before the fake closes (the outer afterEach), or a client would retry against a dead port.
    await Promise.all(clients.splice(0).map((c) => c.disconnect()));
  });
  const newClient = (fake: FakeSlack = slack, extra: { serverPingTimeout?: number } = {}) => {
    const client = new SocketModeClient({
      appToken: fake.appToken,
      clientOptions: { slackApiUrl: fake.url },
      // The refused reconnects below log at ERROR level by design.
      logLevel: LogLevel.ERROR,
      logger: silent,
      // Reconnects wait clientPingTimeout × attempts: short, so the tests are.
      clientPingTimeout: 200,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const connect = async (fake?: FakeSlack, extra?: { serverPingTimeout?: number }) => {
    const client = newClient(fake, extra);
    await client.start();
    return client;
  };
  const connected = (client: SocketModeClient) =>
    new Promise<void>((resolve) => client.once('connected', () => resolve()));
  const opens = (fake: FakeSlack = slack) => fake.calls.filter((c) => c.method === 'apps.connections.open').length;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const alert = async (threadTs?: string) => {
    const posted = await json('chat.postMessage', {
      channel: '#alerts',
      text: 'error rate high',
      ...(threadTs ? { thread_ts: threadTs } : {}),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'error rate high' } },
        {
          type: 'actions',
          block_id: 'alert-actions',
          elements: [
            {
              type: 'button',
              action_id: 'alert_ack',
              text: { type: 'plain_text', text: 'Acknowledge' },
              value: 'a1:ack',
              style: 'primary',
            },
            {
              type: 'button',
              action_id: 'alert_silence_1h',
              text: { type: 'plain_text', text: 'Silence 1 h' },
              value: 'a1:1h',
            },
          ],
        },
      ],
    });
    return slack.messages.find((m) => m.ts === posted.ts)!;
  };

  it('apps.connections.open takes only the app token, and the bot methods refuse it', async () => {
    expect(await json('apps.connections.open', {}, slack.token)).toMatchObject({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(await json('apps.connections.open', {}, 'xapp-wrong')).toMatchObject({ ok: false, error: 'invalid_auth' });
    expect(await json('chat.postMessage', { channel: '#ops', text: 'x' }, slack.appToken)).toMatchObject({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(slack.appToken).toBe('xapp-1-A0PULSEBOT-fake-app-token');
    const opened = await api('apps.connections.open', {}, slack.appToken);
    expect(opened.headers.get('x-oauth-scopes')).toBe('connections:write');
    expect(JSON.parse(opened.text).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\/\d+$/);
    slack.failNext('apps.connections.open', { error: 'internal_error' });
    expect(await json('apps.connections.open', {}, slack.appToken)).toMatchObject({ error: 'internal_error' });

    const unscoped = await startFakeSlack({ appScopes: ['authorizations:read'] });
    try {
      expect(await json2(unscoped, 'apps.connections.open', unscoped.appToken)).toEqual({
        ok: false,
        error: 'missing_scope',
        needed: 'connections:write',
        provided: 'authorizations:read',
      });
    } finally {
      await unscoped.close();
    }
  });

  it('a ws URL is good for one connection, and only a handed-out one', async () => {
    const { url } = await json('apps.connections.open', {}, slack.appToken);
    const first = await wsOutcome(String(url));
    expect(first).toMatchObject({
      status: 101,
      hello: { type: 'hello', num_connections: 1, connection_info: { app_id: 'A0PULSEBOT' } },
    });
    expect(await wsOutcome(String(url))).toMatchObject({ status: 404 });
    expect(await wsOutcome(String(url).replace(/\d+$/, '999'))).toMatchObject({ status: 404 });
  });

  it('a SocketModeClient receives a click, acks it, and the app answers on the response_url', async () => {
    const client = await connect();
    expect(slack.socket.connections()).toBe(1);
    const message = await alert();
    const bodies: Array<Record<string, unknown>> = [];
    client.on('interactive', async ({ ack, body }) => {
      bodies.push(body);
      await ack({ text: 'got it' });
      await fetch(String(body.response_url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ replace_original: false, text: 'Acknowledged by <@U0ALICE>' }),
      });
    });
    const payload = blockActionsPayload(slack, message, 'alert_ack', { id: 'U0ALICE', name: 'alice' });
    const { envelopeId, ack } = await slack.socket.sendInteractive(payload);
    expect(ack).toEqual({ text: 'got it' });
    expect(bodies).toEqual([payload]);
    expect(slack.socket.acks).toEqual([expect.objectContaining({ envelopeId, payload: { text: 'got it' } })]);
    await expect
      .poll(() => slack.responses)
      .toEqual([{ path: '/actions/1', body: { replace_original: false, text: 'Acknowledged by <@U0ALICE>' } }]);
  });

  it('an envelope nobody acks rejects after its timeout; no connection rejects at once', async () => {
    await expect(slack.socket.sendInteractive({ type: 'block_actions' })).rejects.toThrow(
      /no open Socket Mode connection #0 \(0 open\)/,
    );
    await connect(); // no 'interactive' listener: nothing acks
    await expect(slack.socket.sendInteractive({ type: 'block_actions' }, { timeoutMs: 150 })).rejects.toThrow(
      /interactive envelope .* was not acknowledged within 150 ms/,
    );
  });

  it('the same envelope to every replica: each acks it once', async () => {
    const seen: string[][] = [[], []];
    for (const i of [0, 1]) {
      const client = await connect();
      client.on('interactive', async ({ ack, envelope_id }) => {
        seen[i]!.push(envelope_id);
        await ack();
      });
    }
    expect(slack.socket.connections()).toBe(2);
    const acks = await slack.socket.broadcastSameEnvelope({ type: 'block_actions' });
    expect(acks).toHaveLength(2);
    expect(new Set(acks.map((a) => a.envelopeId)).size).toBe(1);
    expect(new Set(acks.map((a) => a.socketId)).size).toBe(2);
    expect(acks.every((a) => JSON.stringify(a.payload) === '{}')).toBe(true);
    expect(seen).toEqual([[acks[0]!.envelopeId], [acks[0]!.envelopeId]]);
    // connection: 1 reaches the second client only.
    const { envelopeId } = await slack.socket.sendInteractive({ type: 'block_actions' }, { connection: 1 });
    expect(seen[1]).toContain(envelopeId);
    expect(seen[0]).not.toContain(envelopeId);
  });

  it('drop() and a disconnect message make the client reconnect through apps.connections.open', async () => {
    const client = await connect();
    let again = connected(client);
    slack.socket.drop();
    expect(slack.socket.connections()).toBe(0);
    await again;
    await slack.socket.waitForConnections(1);
    expect(opens()).toBe(2);
    again = connected(client);
    slack.socket.sendDisconnect();
    await again;
    await slack.socket.waitForConnections(1);
    expect(opens()).toBe(3);
  });

  it('refuse(true) keeps a dropped client from reconnecting until refuse(false)', async () => {
    const client = await connect();
    slack.socket.refuse(true);
    slack.socket.drop();
    await sleep(700);
    expect(slack.socket.connections()).toBe(0);
    expect(opens()).toBeGreaterThanOrEqual(3); // it kept trying: 200, 400 ms …
    const again = connected(client);
    slack.socket.refuse(false);
    await again;
    expect(slack.socket.connections()).toBe(1);
  });

  it("refuse(true, 'upgrade') fails the WebSocket itself while apps.connections.open succeeds", async () => {
    const client = await connect();
    slack.socket.refuse(true, 'upgrade');
    slack.socket.drop();
    await sleep(700);
    expect(slack.socket.connections()).toBe(0);
    expect(opens()).toBeGreaterThanOrEqual(3);
    // SocketModeClient needs to have reconnected before disconnect() (see refuse's comment).
    const again = connected(client);
    slack.socket.refuse(false);
    await again;
  });

  it('server pings keep a client with a short serverPingTimeout connected', async () => {
    const pinging = await startFakeSlack({ socketPingIntervalMs: 50 });
    try {
      // SocketModeClient arms serverPingTimeout at the first ping and re-arms it at each one.
      const client = await connect(pinging, { serverPingTimeout: 300 });
      await sleep(800);
      expect(pinging.socket.connections()).toBe(1);
      expect(opens(pinging)).toBe(1);
      await client.disconnect();
      await pinging.socket.waitForConnections(0);
    } finally {
      await pinging.close();
    }
  });

  it('blockActionsPayload builds the click from the message as it is now', async () => {
    const parent = await alert();
    const message = await alert(parent.ts);
    const payload = blockActionsPayload(slack, message, 'alert_silence_1h', { id: 'U0BOB' });
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB', username: 'user-u0bob', name: 'user-u0bob', team_id: 'T0PULSEBOT' },
      api_app_id: 'A0PULSEBOT',
      container: {
        type: 'message',
        message_ts: message.ts,
        channel_id: 'C02ALERTS',
        is_ephemeral: false,
        thread_ts: parent.ts,
      },
      team: { id: 'T0PULSEBOT', domain: 'pulsebot-test' },
      channel: { id: 'C02ALERTS', name: 'alerts' },
      message: { type: 'message', ts: message.ts, thread_ts: parent.ts, bot_id: 'B0PULSEBOT', blocks: message.blocks },
      state: { values: {} },
      actions: [
        {
          action_id: 'alert_silence_1h',
          block_id: 'alert-actions',
          text: { type: 'plain_text', text: 'Silence 1 h' },
          value: 'a1:1h',
          type: 'button',
        },
      ],
    });
    expect(String(payload.response_url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/actions\/\d+$/);
    const again = blockActionsPayload(slack, message, 'alert_ack', { id: 'U0BOB' }, { actionTs: '1.000002' });
    expect(again.trigger_id).not.toBe(payload.trigger_id);
    expect(again.response_url).not.toBe(payload.response_url);
    expect((again.actions as Array<Record<string, unknown>>)[0]).toMatchObject({
      style: 'primary',
      action_ts: '1.000002',
    });
    expect(() => blockActionsPayload(slack, message, 'alert_nope', { id: 'U0BOB' })).toThrow(
      /no button with action_id 'alert_nope'.*alert_ack, alert_silence_1h/,
    );
    // Once chat.update takes the buttons away there is nothing left to click.
    await json('chat.update', { channel: 'C02ALERTS', ts: parent.ts, text: 'resolved', blocks: [] });
    expect(() => blockActionsPayload(slack, { ...parent }, 'alert_ack', { id: 'U0BOB' })).toThrow(/none/);
  });

  it('chat.postEphemeral, usergroups.users.list and users.info', async () => {
    const parent = await alert();
    expect(await json('chat.postEphemeral', { channel: '#alerts', user: 'U0ALICE', text: 'no' })).toMatchObject({
      ok: true,
      message_ts: expect.any(String),
    });
    expect(
      await json('chat.postEphemeral', { channel: 'C02ALERTS', user: 'U0ALICE', text: 'x', thread_ts: parent.ts }),
    ).toMatchObject({ ok: true });
    expect(slack.ephemerals.map((e) => [e.channel, e.user, e.text, e.thread_ts])).toEqual([
      ['C02ALERTS', 'U0ALICE', 'no', undefined],
      ['C02ALERTS', 'U0ALICE', 'x', parent.ts],
    ]);
    expect(await json('chat.postEphemeral', { channel: '#nope', user: 'U0ALICE', text: 'x' })).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await json('usergroups.users.list', { usergroup: 'S0ONCALL' })).toMatchObject({ error: 'no_such_subteam' });
    const grouped = await startFakeSlack({ usergroups: { S0ONCALL: ['U0ALICE', 'U0BOB'] } });
    try {
      expect(await json2(grouped, 'usergroups.users.list', grouped.token, { usergroup: 'S0ONCALL' })).toEqual({
        ok: true,
        users: ['U0ALICE', 'U0BOB'],
      });
    } finally {
      await grouped.close();
    }
    expect(await json('users.info', { user: 'U0ALICE' })).toMatchObject({
      ok: true,
      user: { id: 'U0ALICE', name: 'user-u0alice', tz: 'UTC' },
    });
    expect(await json('users.info', { user: 'alice' })).toMatchObject({ error: 'user_not_found' });
  });
});

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

async function json2(fake: FakeSlack, method: string, token: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${fake.url}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Connects a plain ws client: the HTTP status of the upgrade and the first message, then closes. */
function wsOutcome(url: string): Promise<{ status: number; hello?: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('message', (data) => {
      resolve({ status: 101, hello: JSON.parse(String(data)) });
      ws.close();
    });
    ws.once('error', (e) => reject(e));
  });
}
