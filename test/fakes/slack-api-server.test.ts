import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './slack-api-server.js';

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
