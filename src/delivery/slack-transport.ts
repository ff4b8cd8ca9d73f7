import { type ChatPostMessageArguments, type Logger, LogLevel, WebClient } from '@slack/web-api';
import { isPlatformCode, missingScopeOf, toDeliveryError } from './slack-errors.js';
import {
  DeliveryError,
  type DeliveryReceipt,
  type Progress,
  type SendContext,
  type SlackPayload,
  type Transport,
} from './types.js';

/**
 * Delivers a SlackPayload in steps that each survive a crash: post the message (tagged with the
 * outbox key in its metadata), record its ts, optionally edit an earlier message, then upload the
 * charts one by one into the message's thread, recording each. A resumed send first looks in
 * Slack for what an interrupted attempt may have done without recording it.
 */

export interface SlackTransportOptions {
  token: string;
  /** Slack's API base URL unless set (tests, proxies): 'http://127.0.0.1:PORT/api/'. */
  apiUrl?: string;
  /** How long one HTTP request may take before it fails (retryable). */
  timeoutMs: number;
  /** Upload payload.files into the message's thread (needs files:write). */
  uploadCharts: boolean;
}

/** auth.test's answer: who the token is, and the scopes Slack says it was granted (x-oauth-scopes), if it says. */
export interface SlackIdentity {
  team: string;
  user: string;
  scopes: string[] | undefined;
}

export type SlackTransport = Transport<SlackPayload> & {
  check(): Promise<SlackIdentity>;
  /**
   * Reads one message of a channel's history, the way a retried send looks for an earlier post;
   * a missing_scope answer comes back as the scope it names, any other failure is thrown.
   */
  probeHistory(channel: string): Promise<{ missingScope?: string }>;
};

/** Metadata event type that carries the outbox key, so a lost post can be found again. */
const SLACK_EVENT_TYPE = 'pulsebot_message';

const HISTORY_WINDOW_SECONDS = 24 * 60 * 60;
const HISTORY_LIMIT = 200;
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;

type SlackBlocks = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>;

/** What a send has recorded so far; unknown fields of the stored progress are kept as they are. */
interface SlackProgress {
  channelId?: string;
  ts?: string;
  files: string[];
  updated: boolean;
}

function readProgress(progress: Progress): SlackProgress {
  const files = Array.isArray(progress.files) ? progress.files.filter((f): f is string => typeof f === 'string') : [];
  return {
    channelId: typeof progress.channelId === 'string' ? progress.channelId : undefined,
    ts: typeof progress.ts === 'string' ? progress.ts : undefined,
    files,
    updated: progress.updated === true,
  };
}

/** A Slack receipt's externalId is "C…:ts". */
function parseExternalId(externalId: string): { channelId: string; ts: string } | null {
  const colon = externalId.indexOf(':');
  if (colon <= 0 || colon === externalId.length - 1) return null;
  return { channelId: externalId.slice(0, colon), ts: externalId.slice(colon + 1) };
}

// The WebClient's own logging would repeat what our errors already say; dropping it all also
// guarantees that nothing it might print (request bodies, URLs) reaches the logs.
export const silentSlackLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  setName() {},
  getLevel: () => LogLevel.ERROR,
};

export function createSlackTransport(opts: SlackTransportOptions): SlackTransport {
  const client = new WebClient(opts.token, {
    slackApiUrl: opts.apiUrl ?? 'https://slack.com/api/',
    // The outbox retries with backoff and honours Retry-After; the client must fail fast.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs,
    logger: silentSlackLogger,
  });
  const channelIds = new Map<string, string>();

  async function call<T>(method: string, channel: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDeliveryError(error, { method, channel, timeoutMs: opts.timeoutMs, token: opts.token });
    }
  }

  /** '#name' → 'C…' through conversations.list (cached: the ids do not change). */
  async function channelIdOf(channel: string): Promise<string> {
    if (CHANNEL_ID.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    const known = channelIds.get(name);
    if (known) return known;
    let cursor: string | undefined;
    do {
      const page = await call('conversations.list', channel, () =>
        client.conversations.list({
          types: 'public_channel,private_channel',
          limit: 200,
          ...(cursor ? { cursor } : {}),
        }),
      );
      for (const c of page.channels ?? []) if (c.id && c.name) channelIds.set(c.name, c.id);
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor && !channelIds.has(name));
    const id = channelIds.get(name);
    if (id) return id;
    throw new DeliveryError(`Slack channel ${channel} not found (conversations.list)`, {
      retryable: false,
      hint: `check the channel name; a private channel is listed only once the bot is in it: /invite @pulsebot in ${channel}`,
    });
  }

  /** The message an interrupted attempt posted under this key, by its metadata, if any. */
  async function findPosted(channelId: string, key: string, threadTs: string | undefined): Promise<string | undefined> {
    const messages = threadTs
      ? (
          await call('conversations.replies', channelId, () =>
            client.conversations.replies({
              channel: channelId,
              ts: threadTs,
              limit: HISTORY_LIMIT,
              include_all_metadata: true,
            }),
          )
        ).messages
      : (
          await call('conversations.history', channelId, () =>
            client.conversations.history({
              channel: channelId,
              limit: HISTORY_LIMIT,
              include_all_metadata: true,
              oldest: String(Math.floor(Date.now() / 1000) - HISTORY_WINDOW_SECONDS),
            }),
          )
        ).messages;
    const found = (messages ?? []).find(
      (m) =>
        m.metadata?.event_type === SLACK_EVENT_TYPE &&
        (m.metadata.event_payload as Record<string, unknown> | undefined)?.pulsebot_key === key,
    );
    return found?.ts;
  }

  /** Names of the files already shared in the message's thread. */
  async function filesInThread(channelId: string, ts: string): Promise<Set<string>> {
    const res = await call('conversations.replies', channelId, () =>
      client.conversations.replies({ channel: channelId, ts, limit: HISTORY_LIMIT }),
    );
    return new Set(
      (res.messages ?? []).flatMap((m) =>
        (m.files ?? []).map((f) => f.name).filter((n): n is string => typeof n === 'string'),
      ),
    );
  }

  async function threadOf(key: string | undefined, ctx: SendContext) {
    if (!key) return null;
    const receipt = await ctx.receiptOf(key);
    // No receipt: the parent was never delivered; the reply still makes sense on its own.
    return receipt ? parseExternalId(receipt.externalId) : null;
  }

  async function postMessage(payload: SlackPayload, ctx: SendContext): Promise<{ channelId: string; ts: string }> {
    const thread = await threadOf(payload.threadOfKey, ctx);
    // thread_ts only means something in the parent's channel.
    const target = thread?.channelId ?? payload.channel;
    if (ctx.resumed) {
      const channelId = await channelIdOf(target);
      const ts = await findPosted(channelId, ctx.key, thread?.ts);
      if (ts) return { channelId, ts };
    }
    const args = {
      channel: target,
      text: payload.text,
      blocks: payload.blocks as SlackBlocks,
      metadata: { event_type: SLACK_EVENT_TYPE, event_payload: { pulsebot_key: ctx.key } },
      unfurl_links: false,
      unfurl_media: false,
      ...(thread ? { thread_ts: thread.ts } : {}),
    } satisfies ChatPostMessageArguments;
    const res = await call('chat.postMessage', target, () => client.chat.postMessage(args));
    if (!res.channel || !res.ts) {
      throw new DeliveryError('Slack chat.postMessage answered ok without a channel and ts', { retryable: false });
    }
    return { channelId: res.channel, ts: res.ts };
  }

  async function updateOriginal(update: NonNullable<SlackPayload['updateOfKey']>, ctx: SendContext): Promise<void> {
    const receipt = await ctx.receiptOf(update.key);
    const original = receipt ? parseExternalId(receipt.externalId) : null;
    if (!original) return;
    try {
      // Text and blocks together: text alone would wipe the blocks.
      await call('chat.update', original.channelId, () =>
        client.chat.update({
          channel: original.channelId,
          ts: original.ts,
          text: update.text,
          blocks: update.blocks as SlackBlocks,
          parse: 'none',
        }),
      );
    } catch (error) {
      // The original was deleted or can no longer be edited: the new message says it all.
      if (
        error instanceof DeliveryError &&
        error.cause instanceof Error &&
        isPlatformCode(error.cause, ['message_not_found', 'cant_update_message', 'edit_window_closed'])
      )
        return;
      throw error;
    }
  }

  return {
    name: 'slack',

    async send(payload: SlackPayload, ctx: SendContext): Promise<DeliveryReceipt> {
      let stored: Progress = { ...ctx.progress };
      const progress = readProgress(stored);
      const record = async (patch: Progress) => {
        stored = { ...stored, ...patch };
        await ctx.checkpoint(stored);
      };

      // An earlier attempt that got as far as the message may have uploaded a file and lost the answer.
      const earlierAttempt = ctx.resumed || (progress.channelId !== undefined && progress.ts !== undefined);
      let { channelId, ts } = progress;
      if (channelId === undefined || ts === undefined) {
        ({ channelId, ts } = await postMessage(payload, ctx));
        await record({ channelId, ts });
      }

      if (payload.updateOfKey && !progress.updated) {
        await updateOriginal(payload.updateOfKey, ctx);
        await record({ updated: true });
      }

      const done = [...progress.files];
      if (opts.uploadCharts && payload.files.length > 0) {
        let inThread: Set<string> | undefined;
        for (const file of payload.files) {
          if (done.includes(file.filename)) continue;
          if (earlierAttempt) inThread ??= await filesInThread(channelId, ts);
          if (!inThread?.has(file.filename)) {
            await call('files.uploadV2', channelId, () =>
              client.filesUploadV2({
                channel_id: channelId,
                thread_ts: ts,
                file_uploads: [
                  {
                    file: file.content,
                    filename: file.filename,
                    title: file.title,
                    ...(file.altText ? { alt_text: file.altText } : {}),
                  },
                ],
              }),
            );
          }
          done.push(file.filename);
          await record({ files: [...done] });
        }
      }

      return { externalId: `${channelId}:${ts}`, detail: { channel: channelId, ts, files: done.length } };
    },

    async check() {
      const res = await call('auth.test', undefined, () => client.auth.test());
      // The WebClient copies the x-oauth-scopes header of every answer into response_metadata.scopes.
      const scopes = res.response_metadata?.scopes;
      return { team: res.team ?? '', user: res.user ?? '', scopes: Array.isArray(scopes) ? scopes : undefined };
    },

    async probeHistory(channel: string) {
      const scopeMissing = (method: string) => (error: unknown) => {
        const missingScope = missingScopeOf(error, method);
        if (missingScope === undefined) throw error;
        return { missingScope };
      };
      let channelId: string;
      try {
        channelId = await channelIdOf(channel);
      } catch (error) {
        return scopeMissing('conversations.list')(error);
      }
      return call('conversations.history', channel, () =>
        client.conversations.history({ channel: channelId, limit: 1 }),
      ).then(() => ({}), scopeMissing('conversations.history'));
    },

    async close() {
      // The WebClient holds no connections of its own (fetch pools them): nothing to release.
    },
  };
}
