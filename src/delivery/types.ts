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
  /**
   * A reply that means nothing without its message (a digest's details): when that message was
   * given up, the reply is given up with it, without a failure notice of its own.
   */
  onlyInThread?: boolean;
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

/**
 * A PagerDuty Events API v2 event, without its routing key: the key is a secret and never enters
 * the outbox. `routingKeyRef` names it (routeRef of the key); the transport holds the keys of the
 * config and sends the one it names.
 */
export interface PagerDutyPayload {
  routingKeyRef: string;
  /** For people: "PagerDuty key 1a2b3c4d5e6f". */
  destination: string;
  /** One line for failure notices (what was lost). */
  text: string;
  /** Sent only once the message under this key is no longer pending (a resolve after its trigger). */
  threadOfKey?: string;
  event: {
    event_action: 'trigger' | 'acknowledge' | 'resolve';
    dedup_key: string;
    payload?: {
      summary: string;
      source: string;
      severity: 'critical' | 'error' | 'warning' | 'info';
      timestamp?: string;
      component?: string;
      group?: string;
      class?: string;
      custom_details?: Record<string, unknown>;
    };
    client?: string;
    client_url?: string;
    links?: Array<{ href: string; text: string }>;
    images?: Array<{ src: string; href?: string; alt?: string }>;
  };
}

/**
 * A webhook POST. Like a PagerDuty key, the URL stays out of the outbox (it often carries a
 * token): `urlRef` names it. The body gets `sent_at` when it is sent, then is signed.
 */
export interface WebhookPayload {
  urlRef: string;
  /** For people: the URL's origin and its ref, "https://hooks.example.com (1a2b3c4d5e6f)". */
  destination: string;
  text: string;
  threadOfKey?: string;
  body: Record<string, unknown>;
}

/** A report or a failure notice: Slack or email. */
export type OutgoingMessage =
  | { channel: 'slack'; key: string; payload: SlackPayload }
  | { channel: 'email'; key: string; payload: EmailPayload };

/** Anything the outbox carries: alerts also go to PagerDuty and webhooks. */
export type QueuedMessage =
  | OutgoingMessage
  | { channel: 'pagerduty'; key: string; payload: PagerDutyPayload }
  | { channel: 'webhook'; key: string; payload: WebhookPayload };

export type Channel = QueuedMessage['channel'];

/** What a transport returns once the message is accepted; stored on the outbox row. */
export interface DeliveryReceipt {
  /** Slack: "C123:1700000000.000100"; email: the Message-ID; file: the path; PagerDuty: the dedup_key; webhook: the HTTP status. */
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
  readonly name: 'slack' | 'email' | 'file' | 'pagerduty' | 'webhook';
  send(payload: P, ctx: SendContext): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}

/** The end of the error a thread-only reply is given up with when its message was (status lines). */
export const GONE_WITH_ITS_MESSAGE = 'was given up, so this reply in its thread is too';
