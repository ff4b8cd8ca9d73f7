import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTransport, type SlackTransportOptions } from '../../src/delivery/slack-transport.js';
import {
  DeliveryError,
  type DeliveryReceipt,
  type Progress,
  type SendContext,
  type SlackFile,
  type SlackPayload,
} from '../../src/delivery/types.js';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';

const TOKEN = 'xoxb-test-SECRET-4242';
const WRONG_TOKEN = 'xoxb-wrong-SECRET-9999';
const CHANNELS = { '#ai-usage': 'C01AIUSAGE', '#alerts': 'C02ALERTS' };

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack({ token: TOKEN, channels: CHANNELS });
});
afterEach(async () => {
  await slack.close();
});

function transport(over: Partial<SlackTransportOptions> = {}) {
  return createSlackTransport({ token: TOKEN, apiUrl: slack.url, timeoutMs: 5000, uploadCharts: true, ...over });
}

const png = (seed: number, size = 64) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));
const file = (filename: string, seed: number): SlackFile => ({
  filename,
  title: `Chart ${filename}`,
  altText: `alt ${filename}`,
  content: png(seed),
});
const payload = (over: Partial<SlackPayload> = {}): SlackPayload => ({
  channel: '#ai-usage',
  text: 'AI usage: $1,234 yesterday',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'Daily AI usage' } },
    { type: 'section', text: { type: 'mrkdwn', text: '*$1,234*' } },
  ],
  files: [],
  ...over,
});

/** An in-memory outbox row: progress as stored, checkpoints in order, other rows' receipts. */
function outboxRow(
  key: string,
  opts: {
    progress?: Progress;
    resumed?: boolean;
    receipts?: Record<string, DeliveryReceipt>;
    crashAt?: (p: Progress) => boolean;
  } = {},
) {
  const checkpoints: Progress[] = [];
  const ctx: SendContext = {
    key,
    progress: opts.progress ?? {},
    resumed: opts.resumed ?? false,
    async checkpoint(p) {
      if (opts.crashAt?.(p)) throw new Error('simulated crash before the checkpoint was stored');
      checkpoints.push(structuredClone(p));
    },
    async receiptOf(k) {
      return opts.receipts?.[k] ?? null;
    },
  };
  return { ctx, checkpoints, last: () => checkpoints.at(-1) ?? {} };
}

/** Awaits a rejection that must be a DeliveryError; no error, hint or cause may carry a token. */
async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  expect(textOf(error)).not.toContain(TOKEN);
  expect(textOf(error)).not.toContain(WRONG_TOKEN);
  return error as DeliveryError;
}
function textOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return [e.message, (e as { hint?: string }).hint ?? '', e.cause === undefined ? '' : textOf(e.cause)].join('\n');
}

const callsOf = (method: string) => slack.calls.filter((c) => c.method === method).length;

describe('Slack transport: sending', () => {
  it('posts text, blocks and the outbox key as metadata, without unfurls, and checkpoints the ts', async () => {
    const row = outboxRow('daily:2026-11-23:slack:#ai-usage');
    const receipt = await transport().send(payload(), row.ctx);
    expect(slack.messages).toHaveLength(1);
    const m = slack.messages[0]!;
    expect(m).toMatchObject({
      channel: 'C01AIUSAGE',
      text: 'AI usage: $1,234 yesterday',
      blocks: payload().blocks,
      metadata: { event_type: 'pulsebot_message', event_payload: { pulsebot_key: 'daily:2026-11-23:slack:#ai-usage' } },
    });
    expect(slack.calls.find((c) => c.method === 'chat.postMessage')?.body).toMatchObject({
      unfurl_links: 'false',
      unfurl_media: 'false',
    });
    expect(receipt).toEqual({
      externalId: `C01AIUSAGE:${m.ts}`,
      detail: { channel: 'C01AIUSAGE', ts: m.ts, files: 0 },
    });
    expect(row.checkpoints[0]).toEqual({ channelId: 'C01AIUSAGE', ts: m.ts });
    // Posting by name needs no channel lookup.
    expect(callsOf('conversations.list')).toBe(0);
  });

  it('uploads the files into the message thread with their exact bytes, checkpointing each', async () => {
    const files = [file('cost.png', 1), file('requests.png', 2)];
    const row = outboxRow('k-files');
    const receipt = await transport().send(payload({ files }), row.ctx);
    const ts = slack.messages[0]!.ts;
    expect(slack.messages).toHaveLength(1);
    expect(slack.files.map((f) => [f.filename, f.title, f.channel, f.thread_ts])).toEqual([
      ['cost.png', 'Chart cost.png', 'C01AIUSAGE', ts],
      ['requests.png', 'Chart requests.png', 'C01AIUSAGE', ts],
    ]);
    expect(slack.files[0]!.bytes.equals(files[0]!.content)).toBe(true);
    expect(slack.files[1]!.bytes.equals(files[1]!.content)).toBe(true);
    expect(row.checkpoints.map((p) => p.files)).toEqual([undefined, ['cost.png'], ['cost.png', 'requests.png']]);
    expect(receipt.detail).toMatchObject({ files: 2 });
  });

  it('skips the files when uploadCharts is off', async () => {
    await transport({ uploadCharts: false }).send(payload({ files: [file('cost.png', 1)] }), outboxRow('k').ctx);
    expect(slack.messages).toHaveLength(1);
    expect(slack.files).toHaveLength(0);
    expect(callsOf('files.getUploadURLExternal')).toBe(0);
  });

  it('replies in the thread of the message sent under threadOfKey', async () => {
    const t = transport();
    const firing = await t.send(payload({ channel: '#alerts', text: 'firing' }), outboxRow('alert:7:firing').ctx);
    await t.send(
      payload({ channel: '#alerts', text: 'resolved', threadOfKey: 'alert:7:firing' }),
      outboxRow('alert:7:resolved', { receipts: { 'alert:7:firing': firing } }).ctx,
    );
    const [parent, reply] = slack.messages;
    expect(reply).toMatchObject({ channel: 'C02ALERTS', text: 'resolved', thread_ts: parent!.ts });
  });

  it('edits the message sent under updateOfKey with text and blocks', async () => {
    const t = transport();
    const firing = await t.send(payload({ channel: '#alerts', text: 'firing' }), outboxRow('alert:8:firing').ctx);
    const newBlocks = [{ type: 'section', text: { type: 'plain_text', text: 'Resolved at 10:42' } }];
    const row = outboxRow('alert:8:resolved', { receipts: { 'alert:8:firing': firing } });
    await t.send(
      payload({
        channel: '#alerts',
        text: 'resolved',
        updateOfKey: { key: 'alert:8:firing', text: '~firing~ resolved', blocks: newBlocks },
      }),
      row.ctx,
    );
    expect(slack.messages[0]).toMatchObject({ text: '~firing~ resolved', blocks: newBlocks, edited: true });
    expect(slack.messages[1]).toMatchObject({ text: 'resolved' });
    expect(slack.calls.find((c) => c.method === 'chat.update')?.body).toMatchObject({ parse: 'none' });
    expect(row.last()).toMatchObject({ updated: true });
  });

  it('check() returns the team and user from auth.test, and the scopes of its x-oauth-scopes header', async () => {
    expect(await transport().check()).toEqual({
      team: 'pulsebot-test',
      user: 'pulsebot',
      scopes: [...FAKE_SLACK_SCOPES],
    });
  });

  it('check() without an x-oauth-scopes header gives no scopes (not an empty list)', async () => {
    const bare = await startFakeSlack({ token: TOKEN, channels: CHANNELS, scopes: null });
    try {
      const t = createSlackTransport({ token: TOKEN, apiUrl: bare.url, timeoutMs: 5000, uploadCharts: true });
      expect((await t.check()).scopes).toBeUndefined();
    } finally {
      await bare.close();
    }
  });

  it('probeHistory() reads the channel as a retry does; a missing_scope answer names the scope', async () => {
    expect(await transport().probeHistory('#ai-usage')).toEqual({});
    slack.failNext('conversations.list', { error: 'missing_scope' });
    expect(await transport().probeHistory('#ai-usage')).toEqual({ missingScope: 'channels:read' });
    slack.failNext('conversations.history', { error: 'missing_scope' });
    expect(await transport().probeHistory('#ai-usage')).toEqual({ missingScope: 'channels:history' });
    slack.failNext('conversations.history', { error: 'not_in_channel' });
    await expect(transport().probeHistory('#ai-usage')).rejects.toMatchObject({ retryable: false });
  });
});

describe('Slack transport: resuming after a crash', () => {
  it('finds its message in history by the metadata key: posts nothing new and uploads only the missing file', async () => {
    const key = 'daily:2026-11-24:slack:#ai-usage';
    const files = [file('a.png', 1), file('b.png', 2)];
    // Another message in between, as in a busy channel.
    await transport().send(payload({ text: 'someone else' }), outboxRow('other').ctx);
    const crashed = outboxRow(key, { crashAt: (p) => Array.isArray(p.files) && p.files.includes('a.png') });
    await expect(transport().send(payload({ files }), crashed.ctx)).rejects.toThrow('simulated crash');
    await transport().send(payload({ text: 'later news' }), outboxRow('other-2').ctx);
    expect(slack.files.map((f) => f.filename)).toEqual(['a.png']);

    // The outbox lost even the message's ts: progress {} but resumed.
    const resumed = outboxRow(key, { resumed: true });
    const receipt = await transport().send(payload({ files }), resumed.ctx);
    const mine = slack.messages.find((m) => m.metadata?.event_payload.pulsebot_key === key)!;
    expect(slack.messages.filter((m) => m.metadata?.event_payload.pulsebot_key === key)).toHaveLength(1);
    expect(receipt.externalId).toBe(`C01AIUSAGE:${mine.ts}`);
    expect(slack.files.map((f) => [f.filename, f.thread_ts])).toEqual([
      ['a.png', mine.ts],
      ['b.png', mine.ts],
    ]);
    expect(resumed.checkpoints[0]).toEqual({ channelId: 'C01AIUSAGE', ts: mine.ts });
    expect(resumed.last()).toMatchObject({ files: ['a.png', 'b.png'] });
  });

  it('resolves #name through conversations.list once per transport', async () => {
    const t = transport();
    await t.send(payload(), outboxRow('r1', { resumed: true }).ctx);
    await t.send(payload(), outboxRow('r2', { resumed: true }).ctx);
    expect(callsOf('conversations.list')).toBe(1);
    expect(slack.messages).toHaveLength(2);
  });

  it('with progress { channelId, ts, files: [a.png] } uploads only the other files', async () => {
    const posted = await transport().send(payload({ files: [file('a.png', 1)] }), outboxRow('k2').ctx);
    const ts = String(posted.detail?.ts);
    const row = outboxRow('k2', { resumed: true, progress: { channelId: 'C01AIUSAGE', ts, files: ['a.png'] } });
    await transport().send(payload({ files: [file('a.png', 1), file('b.png', 2), file('c.png', 3)] }), row.ctx);
    expect(callsOf('chat.postMessage')).toBe(1);
    expect(callsOf('conversations.history')).toBe(0);
    expect(slack.files.map((f) => f.filename)).toEqual(['a.png', 'b.png', 'c.png']);
    expect(row.last()).toEqual({ channelId: 'C01AIUSAGE', ts, files: ['a.png', 'b.png', 'c.png'] });
  });

  it('after a crash between an upload and its checkpoint, finds the file in the thread and does not upload it twice', async () => {
    const files = [file('a.png', 1), file('b.png', 2)];
    const crashed = outboxRow('k3', { crashAt: (p) => Array.isArray(p.files) && p.files.length === 1 });
    await expect(transport().send(payload({ files }), crashed.ctx)).rejects.toThrow('simulated crash');
    const stored = crashed.last();
    expect(stored.files).toBeUndefined();

    const row = outboxRow('k3', { resumed: true, progress: stored });
    const receipt = await transport().send(payload({ files }), row.ctx);
    expect(slack.files.map((f) => f.filename)).toEqual(['a.png', 'b.png']);
    expect(callsOf('files.getUploadURLExternal')).toBe(2);
    expect(receipt.detail).toMatchObject({ files: 2 });
    expect(row.last()).toMatchObject({ files: ['a.png', 'b.png'] });
  });

  it('a post that landed although its answer timed out is found on resume, not posted twice', async () => {
    slack.failNext('chat.postMessage', { delayMs: 3000 });
    const error = await failure(transport({ timeoutMs: 300 }).send(payload(), outboxRow('k4').ctx));
    expect(error.retryable).toBe(true);
    expect(slack.messages).toHaveLength(1);
    await transport().send(payload(), outboxRow('k4', { resumed: true }).ctx);
    expect(slack.messages).toHaveLength(1);
  });
});

describe('Slack transport: errors', () => {
  it('429 with Retry-After 7 → retryable with retryAfterMs 7000, at once', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const started = Date.now();
    const error = await failure(transport().send(payload(), outboxRow('k').ctx));
    expect(Date.now() - started).toBeLessThan(6000);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 7000, code: 'DELIVERY_FAILED' });
    expect(error.message).toContain('chat.postMessage');
  });

  it('HTTP 500 → retryable', async () => {
    slack.failNext('chat.postMessage', { status: 500 });
    const error = await failure(transport().send(payload(), outboxRow('k').ctx));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/chat\.postMessage.*HTTP 500/);
  });

  it('an answer slower than timeoutMs → retryable', async () => {
    slack.failNext('auth.test', { delayMs: 3000 });
    const error = await failure(transport({ timeoutMs: 300 }).check());
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('300 ms');
  });

  it('a refused connection → retryable', async () => {
    const gone = await startFakeSlack({ token: TOKEN });
    await gone.close();
    const error = await failure(transport({ apiUrl: gone.url }).send(payload(), outboxRow('k').ctx));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('invalid_auth → not retryable, with a hint about SLACK_BOT_TOKEN', async () => {
    const error = await failure(
      createSlackTransport({ token: WRONG_TOKEN, apiUrl: slack.url, timeoutMs: 5000, uploadCharts: true }).send(
        payload(),
        outboxRow('k').ctx,
      ),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('invalid_auth');
    expect(error.hint).toContain('SLACK_BOT_TOKEN');
    await failure(
      createSlackTransport({ token: WRONG_TOKEN, apiUrl: slack.url, timeoutMs: 5000, uploadCharts: true }).check(),
    );
  });

  it('channel_not_found → not retryable, both when posting and when resolving a name on resume', async () => {
    const posting = await failure(transport().send(payload({ channel: '#nope' }), outboxRow('k').ctx));
    expect(posting).toMatchObject({ retryable: false });
    expect(posting.message).toContain('channel_not_found');
    expect(posting.hint).toContain('/invite @pulsebot');
    const resolving = await failure(
      transport().send(payload({ channel: '#nope' }), outboxRow('k', { resumed: true }).ctx),
    );
    expect(resolving.retryable).toBe(false);
  });

  it('not_in_channel and missing_scope name the fix', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const notIn = await failure(transport().send(payload(), outboxRow('k').ctx));
    expect(notIn).toMatchObject({ retryable: false, hint: 'invite the bot to #ai-usage: /invite @pulsebot' });
    slack.failNext('files.getUploadURLExternal', { error: 'missing_scope' });
    const scope = await failure(transport().send(payload({ files: [file('a.png', 1)] }), outboxRow('k2').ctx));
    expect(scope.retryable).toBe(false);
    expect(scope.hint).toContain('files:write');
  });

  it('transient platform errors are retryable', async () => {
    for (const code of ['internal_error', 'service_unavailable', 'ratelimited']) {
      slack.failNext('chat.postMessage', { error: code });
      const error = await failure(transport().send(payload(), outboxRow('k').ctx));
      expect([code, error.retryable]).toEqual([code, true]);
    }
  });

  it('content errors are not retryable', async () => {
    slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
    const error = await failure(transport().send(payload(), outboxRow('k').ctx));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('invalid_blocks');
  });
});
