import { PulsebotError } from '../errors.js';

/**
 * The contract between message builders, the outbox and the transports. A message is built
 * completely before it is queued (the outbox stores exactly what will be sent), and each one
 * carries the idempotency key of its outbox row.
 */

export interface SlackFile {
  /** "daily_cost_by_provider.png": unique within the message; used to find an upload that already happened. */
  filename: string;
  title: string;
  altText: string;
  content: Buffer;
}

export interface SlackPayload {
  /** "#name" or a channel id. */
  channel: string;
  /** Notification / fallback text (already escaped). */
  text: string;
  /** Block Kit blocks (already escaped and within Slack's limits). */
  blocks: unknown[];
  /** Uploaded into the message's thread after it is posted (filesUploadV2). */
  files: SlackFile[];
  /** Reply in the thread of the message sent under this outbox key (alerts' resolved messages). */
  threadOfKey?: string;
  /** Replace the message sent under this outbox key (chat.update) in addition to posting. */
  updateOfKey?: { key: string; text: string; blocks: unknown[] };
}

export interface EmailAttachment {
  filename: string;
  /** Content-ID without brackets ("daily_cost_by_provider@pulsebot"); the HTML refers to it as cid:… */
  cid?: string;
  contentType: string;
  content: Buffer;
}

export interface EmailPayload {
  from: string;
  /** One recipient per message: the Message-ID is per report × period × recipient. */
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  /** "<…@pulsebot>", deterministic. */
  messageId: string;
  attachments: EmailAttachment[];
  headers?: Record<string, string>;
}

export type OutgoingMessage =
  | { channel: 'slack'; key: string; payload: SlackPayload }
  | { channel: 'email'; key: string; payload: EmailPayload };

/** What a transport returns once the message is accepted; stored on the outbox row. */
export interface DeliveryReceipt {
  /** Slack: "C123:1700000000.000100"; email: the Message-ID; file: the path. */
  externalId: string;
  detail?: Record<string, unknown>;
}

/**
 * A delivery failure. `retryable` false means retrying cannot help (invalid_auth,
 * channel_not_found, a 5xx SMTP rejection); `retryAfterMs` is the server's own wait (Slack's
 * Retry-After), honoured by the outbox instead of its backoff.
 */
export class DeliveryError extends PulsebotError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown; hint?: string }) {
    super('DELIVERY_FAILED', message, { cause: opts.cause, hint: opts.hint });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/**
 * Progress a multi-step send has made (Slack: the posted message's channel id and ts, the
 * files already uploaded). The outbox persists it after every step, and hands it back when a
 * send resumes after a crash, so no step is repeated.
 */
export type Progress = Record<string, unknown>;

export interface SendContext {
  key: string;
  /** What an earlier, interrupted attempt recorded; {} on the first attempt. */
  progress: Progress;
  /** Persist progress (awaited before the next step). */
  checkpoint(progress: Progress): Promise<void>;
  /** true when an earlier attempt may have sent without recording it (it crashed mid-send). */
  resumed: boolean;
  /** Receipts of other outbox rows by key (threadOfKey / updateOfKey look-ups). */
  receiptOf(key: string): Promise<DeliveryReceipt | null>;
}

export interface Transport<P> {
  readonly name: 'slack' | 'email' | 'file';
  send(payload: P, ctx: SendContext): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}
