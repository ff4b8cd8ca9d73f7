import type { Sql } from '../db/connect.js';
import { PulsebotError, messageOf } from '../errors.js';
import { inlineRetryDelayMs, nextAttemptDelayMs } from './backoff.js';
import { failureChannelsOf, failureNotices, fileFailureNotice, type FailureRoutes } from './failure-notice.js';
import {
  claimDue,
  enqueue,
  markDead,
  markFailureReported,
  markRetry,
  markSent,
  receiptOf,
  saveProgress,
  unreportedDead,
  type ClaimedMessage,
  type DeadMessage,
} from './outbox.js';
import {
  GONE_WITH_ITS_MESSAGE,
  DeliveryError,
  type Channel,
  type DeliveryReceipt,
  type EmailPayload,
  type PagerDutyPayload,
  type SendContext,
  type SlackPayload,
  type Transport,
  type WebhookPayload,
} from './types.js';

export interface DeliverConfig {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  failureRoutes: FailureRoutes;
  /** From header of failure notices sent by email (config email.from). */
  failureFrom?: string;
}

export interface DeliverDeps {
  sql: Sql;
  transports: {
    slack: Transport<SlackPayload>;
    email: Transport<EmailPayload>;
    /** Absent: a PagerDuty or webhook row is given up, saying the route is not set up here. */
    pagerduty?: Transport<PagerDutyPayload>;
    webhook?: Transport<WebhookPayload>;
  };
  now: () => Date;
  config: DeliverConfig;
  /** One structured event per outcome; `level` is info, warn or error. */
  log: (event: Record<string, unknown>) => void;
  random?: () => number;
  /** How long a claim is exclusive; every checkpoint extends it. */
  leaseMs?: number;
  /** Messages sent at the same time (each worker claims one row at a time). */
  concurrency?: number;
  /** Where failure notices go when the other channel has no failure route (the file outbox). */
  files?: { email: Transport<EmailPayload> };
  /**
   * One-shot commands: how long (from the start of this run) a transient failure is retried
   * within the same claim, after short waits, before it is left to the outbox's backoff. The
   * daemon passes nothing: its next pass retries anyway.
   */
  inlineRetryMs?: number;
  /** The wait between inline retries; a timer unless a test passes its own. */
  sleep?: (ms: number) => Promise<void>;
  /** Told the outcome of every message this run claimed, once it is settled. */
  onOutcome?: (outcome: MessageOutcome) => void;
}

export interface MessageOutcome {
  key: string;
  channel: Channel;
  destination: string;
  outcome: 'sent' | 'retried' | 'dead';
}

export interface DeliverResult {
  sent: number;
  retried: number;
  dead: number;
  /** Claims of rows whose earlier sender died mid-send. */
  resumed: number;
}

/** Long enough for a Slack message with its chart uploads at the transport's timeouts; checkpoints renew it. */
const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_FROM = 'pulsebot <pulsebot@localhost>';

/** Thrown by a checkpoint whose row was claimed by another sender after this one's lease ran out. */
class LeaseLostError extends PulsebotError {
  constructor(key: string) {
    super('DELIVERY_FAILED', `outbox: the lease on ${key} expired and another sender claimed it`);
    this.name = 'LeaseLostError';
  }
}

type Outcome = 'sent' | 'retried' | 'dead' | 'lost';

/**
 * Delivers everything that is due: first reports failures a crashed run left unreported, then
 * claims and sends rows until none is due. Each worker claims one row at a time, so a lease
 * covers exactly one send. Database errors end the run (after in-flight sends finish); the rows
 * they leave 'sending' are resumed by a later run once their lease expires.
 */
export async function deliverDue(deps: DeliverDeps): Promise<DeliverResult> {
  const result: DeliverResult = { sent: 0, retried: 0, dead: 0, resumed: 0 };
  const inlineUntil = deps.now().getTime() + Math.max(0, deps.inlineRetryMs ?? 0);
  for (const dead of await unreportedDead(deps.sql)) await reportFailure(deps, dead);

  let stop = false;
  const inFlight = new Set<number>();
  const worker = async () => {
    while (!stop) {
      const [claimed] = await claimDue(deps.sql, {
        now: deps.now(),
        leaseMs: leaseMsOf(deps),
        limit: 1,
        exclude: inFlight,
      });
      if (!claimed) return;
      inFlight.add(claimed.id);
      if (claimed.resumed) {
        result.resumed++;
        deps.log({
          level: 'warn',
          event: 'outbox.resumed',
          key: claimed.key,
          channel: claimed.channel,
          attempts: claimed.attempts,
          progress: Object.keys(claimed.progress),
        });
      }
      const outcome = await deliverOne(deps, claimed, inlineUntil).finally(() => inFlight.delete(claimed.id));
      if (outcome === 'lost') continue;
      result[outcome]++;
      deps.onOutcome?.({ key: claimed.key, channel: claimed.channel, destination: claimed.destination, outcome });
    }
  };
  const workers = Array.from({ length: Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY) }, () =>
    worker().catch((error: unknown) => {
      stop = true;
      throw error;
    }),
  );
  const settled = await Promise.allSettled(workers);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return result;
}

function leaseMsOf(deps: DeliverDeps): number {
  return deps.leaseMs ?? DEFAULT_LEASE_MS;
}

/**
 * One claimed row: send it; a transient failure is tried again within this claim while the run's
 * inline window lasts (the lease is renewed across each wait, so no one else takes the row), then
 * left to the outbox's backoff or given up.
 */
async function deliverOne(deps: DeliverDeps, claimed: ClaimedMessage, inlineUntil: number): Promise<Outcome> {
  const { sql } = deps;
  const orphan = await orphanedReply(sql, claimed);
  if (orphan) return goneWithItsMessage(deps, claimed, orphan);
  let progress = claimed.progress;
  // Any earlier attempt may have reached the server without us learning it (a crash, or a
  // timeout after the request went out): the transport should look before it repeats a step.
  let resumed = claimed.resumed || claimed.attempts > 1;
  for (let retry = 1; ; retry++) {
    const ctx: SendContext = {
      key: claimed.key,
      progress,
      resumed,
      checkpoint: async (next) => {
        const ours = await saveProgress(sql, claimed, { progress: next, now: deps.now(), leaseMs: leaseMsOf(deps) });
        if (!ours) throw new LeaseLostError(claimed.key);
        progress = next;
      },
      receiptOf: (key) => receiptOf(sql, key),
    };

    let receipt: DeliveryReceipt;
    try {
      receipt = await sendClaimed(deps, claimed, ctx);
    } catch (error) {
      const delayMs = inlineDelayMs(deps, error, retry, inlineUntil);
      if (delayMs === null) return failed(deps, claimed, error);
      const leaseMs = leaseMsOf(deps) + delayMs;
      if (!(await saveProgress(sql, claimed, { progress, now: deps.now(), leaseMs }))) {
        return lost(deps, claimed, 'inline retry');
      }
      deps.log({
        level: 'warn',
        event: 'outbox.inline_retry',
        key: claimed.key,
        channel: claimed.channel,
        destination: claimed.destination,
        attempts: claimed.attempts,
        retry,
        error: describeError(error),
        delayMs,
      });
      await (deps.sleep ?? sleep)(delayMs);
      // The try that failed may have reached the server (a 5xx or a timeout after the request went out).
      resumed = true;
      continue;
    }

    const now = deps.now();
    if (!(await markSent(sql, claimed, { receipt, now }))) return lost(deps, claimed, 'sent');
    deps.log({
      level: 'info',
      event: 'outbox.sent',
      key: claimed.key,
      channel: claimed.channel,
      destination: claimed.destination,
      attempts: claimed.attempts,
      ...(retry > 1 ? { tries: retry } : {}),
      externalId: receipt.externalId,
    });
    return 'sent';
  }
}

function sendClaimed(deps: DeliverDeps, claimed: ClaimedMessage, ctx: SendContext): Promise<DeliveryReceipt> {
  const { transports } = deps;
  switch (claimed.channel) {
    case 'slack':
      return transports.slack.send(claimed.payload, ctx);
    case 'email':
      return transports.email.send(claimed.payload, ctx);
    case 'pagerduty':
      if (!transports.pagerduty) throw notSetUp('PagerDuty');
      return transports.pagerduty.send(claimed.payload, ctx);
    case 'webhook':
      if (!transports.webhook) throw notSetUp('webhook');
      return transports.webhook.send(claimed.payload, ctx);
  }
}

const notSetUp = (what: string) =>
  new DeliveryError(`no ${what} transport in this process`, {
    retryable: true,
    hint: 'a pulsebot with this route in its config delivers it (check the config of the process that runs `pulsebot deliver`)',
  });

/** The wait before trying again within this run, or null: not transient, or the window would be over. */
function inlineDelayMs(deps: DeliverDeps, error: unknown, retry: number, inlineUntil: number): number | null {
  if (!(error instanceof DeliveryError) || !error.retryable) return null;
  const delayMs = inlineRetryDelayMs({ retry, retryAfterMs: error.retryAfterMs });
  return deps.now().getTime() + delayMs <= inlineUntil ? delayMs : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function failed(deps: DeliverDeps, claimed: ClaimedMessage, error: unknown): Promise<Outcome> {
  const { sql, config } = deps;
  const now = deps.now();
  const reason = describeError(error);
  if (error instanceof LeaseLostError) return lost(deps, claimed, 'failed');
  // Anything but a DeliveryError is a bug or an unexpected condition in a transport: retry it,
  // a permanent problem will exhaust the attempts and be reported.
  const retryable = error instanceof DeliveryError ? error.retryable : true;
  const base = {
    key: claimed.key,
    channel: claimed.channel,
    destination: claimed.destination,
    attempts: claimed.attempts,
    error: reason,
  };

  if (retryable && claimed.attempts < config.maxAttempts) {
    const delayMs = nextAttemptDelayMs({
      attempt: claimed.attempts,
      baseMs: config.backoffBaseMs,
      maxMs: config.backoffMaxMs,
      retryAfterMs: error instanceof DeliveryError ? error.retryAfterMs : undefined,
      random: deps.random ?? Math.random,
    });
    const nextAttemptAt = new Date(now.getTime() + delayMs);
    if (!(await markRetry(sql, claimed, { error: reason, nextAttemptAt, now }))) return lost(deps, claimed, 'retry');
    deps.log({ level: 'warn', event: 'outbox.retry', ...base, nextAttemptAt: nextAttemptAt.toISOString(), delayMs });
    return 'retried';
  }

  if (!(await markDead(sql, claimed, { error: reason, now }))) return lost(deps, claimed, 'dead');
  deps.log({ level: 'error', event: 'outbox.dead', ...base, retryable });
  await reportFailure(deps, {
    id: claimed.id,
    key: claimed.key,
    channel: claimed.channel,
    destination: claimed.destination,
    kind: claimed.kind,
    attempts: claimed.attempts,
    lastError: reason,
    deadAt: now,
    summary: claimed.channel === 'email' ? claimed.payload.subject : claimed.payload.text,
  });
  return 'dead';
}

/**
 * The key of the message a thread-only reply belongs to, when that message was not sent: a row
 * is claimed only once its message is no longer pending or sending, so no receipt means given up.
 */
async function orphanedReply(sql: Sql, claimed: ClaimedMessage): Promise<string | null> {
  if (claimed.channel !== 'slack' || !claimed.payload.onlyInThread || !claimed.payload.threadOfKey) return null;
  return (await receiptOf(sql, claimed.payload.threadOfKey)) === null ? claimed.payload.threadOfKey : null;
}

/** Given up with its message; that message's own failure notice says what was lost. */
async function goneWithItsMessage(deps: DeliverDeps, claimed: ClaimedMessage, parent: string): Promise<Outcome> {
  const now = deps.now();
  const error = `its message ${parent} ${GONE_WITH_ITS_MESSAGE}`;
  if (!(await markDead(deps.sql, claimed, { error, now }))) return lost(deps, claimed, 'dead');
  await markFailureReported(deps.sql, claimed.id, now);
  deps.log({ level: 'warn', event: 'outbox.dead', key: claimed.key, channel: claimed.channel, error });
  return 'dead';
}

function lost(deps: DeliverDeps, claimed: ClaimedMessage, at: string): Outcome {
  deps.log({ level: 'warn', event: 'outbox.lease_lost', key: claimed.key, attempts: claimed.attempts, at });
  return 'lost';
}

/**
 * Reports a dead row through the other channel's failure routes (queued, so the notice itself is
 * retried), or, with no such route, writes it to the file outbox and logs it at error level.
 * A failure notice that itself died is never reported by another notice: two broken channels
 * would bounce notices between them forever.
 */
async function reportFailure(deps: DeliverDeps, dead: DeadMessage): Promise<void> {
  const now = deps.now();
  const from = deps.config.failureFrom ?? DEFAULT_FROM;
  const notices = dead.kind === 'failure_notice' ? [] : failureNotices(dead, deps.config.failureRoutes, { from });
  if (notices.length > 0) {
    await enqueue(deps.sql, notices, { kind: 'failure_notice', now });
    deps.log({
      level: 'warn',
      event: 'outbox.failure_notice',
      key: dead.key,
      via: notices.map((n) => `${n.channel}:${n.channel === 'slack' ? n.payload.channel : n.payload.to}`),
    });
  } else {
    const written = await writeFileNotice(deps, dead);
    if (!written) return; // logged; the next run's sweep tries again
  }
  await markFailureReported(deps.sql, dead.id, now);
}

async function writeFileNotice(deps: DeliverDeps, dead: DeadMessage): Promise<boolean> {
  const event = {
    level: 'error',
    event: 'outbox.undelivered',
    key: dead.key,
    channel: dead.channel,
    destination: dead.destination,
    attempts: dead.attempts,
    error: dead.lastError,
    reason:
      dead.kind === 'failure_notice'
        ? 'the failure notice itself failed'
        : `no failure route on ${failureChannelsOf(dead.channel).join(' or ')}`,
  };
  if (!deps.files) {
    deps.log({ ...event, file: null });
    return true;
  }
  const notice = fileFailureNotice(dead, { from: deps.config.failureFrom ?? DEFAULT_FROM });
  try {
    const receipt = await deps.files.email.send(notice.payload, {
      key: notice.key,
      progress: {},
      resumed: false,
      checkpoint: async () => {},
      receiptOf: async () => null,
    });
    deps.log({ ...event, file: receipt.externalId });
    return true;
  } catch (error) {
    deps.log({ ...event, file: null, fileError: describeError(error) });
    return false;
  }
}

function describeError(error: unknown): string {
  const message = messageOf(error);
  const cause = error instanceof Error ? error.cause : undefined;
  const causeMessage = cause === undefined ? '' : messageOf(cause);
  return causeMessage && !message.includes(causeMessage) ? `${message} (${causeMessage})` : message;
}
