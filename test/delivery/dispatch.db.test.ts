import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { deliverDue, type DeliverConfig, type DeliverDeps } from '../../src/delivery/dispatch.js';
import { createFileTransport } from '../../src/delivery/file-transport.js';
import { claimDue, enqueue, markDead, stateOf } from '../../src/delivery/outbox.js';
import {
  DeliveryError,
  type DeliveryReceipt,
  type EmailPayload,
  type OutgoingMessage,
  type SendContext,
  type SlackPayload,
  type Transport,
} from '../../src/delivery/types.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const T0 = new Date('2026-11-25T09:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

interface Fake<P> {
  transport: Transport<P>;
  sent: Array<{ payload: P; ctx: SendContext; receipt: DeliveryReceipt }>;
  attempts: number;
  /** Thrown by the next sends, in order (then they succeed). */
  failures: unknown[];
  /** Runs inside send before it fails or succeeds. */
  during?: (payload: P, ctx: SendContext) => Promise<void>;
  /** Fail every send with this. */
  always?: unknown;
}

function fake<P>(name: 'slack' | 'email'): Fake<P> {
  const f: Fake<P> = {
    sent: [],
    attempts: 0,
    failures: [],
    transport: {
      name,
      async send(payload, ctx) {
        f.attempts++;
        await f.during?.(payload, ctx);
        if (f.always !== undefined) throw f.always;
        const failure = f.failures.shift();
        if (failure !== undefined) throw failure;
        const receipt = { externalId: `${name}:${f.sent.length + 1}` };
        f.sent.push({ payload, ctx, receipt });
        return receipt;
      },
      close: async () => {},
    },
  };
  return f;
}

function slack(key: string, extra: Partial<SlackPayload> = {}): OutgoingMessage {
  return {
    channel: 'slack',
    key,
    payload: { channel: '#ai-usage', text: `text of ${key}`, blocks: [], files: [], ...extra },
  };
}

function email(key: string, to = 'ana@example.com'): OutgoingMessage {
  return {
    channel: 'email',
    key,
    payload: {
      from: 'pulsebot <p@example.com>',
      to,
      subject: `Subject of ${key}`,
      html: '<p>hi</p>',
      text: 'hi',
      messageId: `<${key}@pulsebot>`,
      attachments: [],
    },
  };
}

const CONFIG: DeliverConfig = {
  maxAttempts: 3,
  backoffBaseMs: 30_000,
  backoffMaxMs: 600_000,
  failureRoutes: { slack: ['#oncall'], email: ['ops@example.com'] },
  failureFrom: 'pulsebot <pulsebot@example.com>',
};

describe.each(TARGETS)('deliverDue on %s', (target) => {
  let db: Database;
  let outDir: string;
  let slackFake: Fake<SlackPayload>;
  let emailFake: Fake<EmailPayload>;
  let clock: Date;
  let events: Array<Record<string, unknown>>;

  const deps = (over: Partial<DeliverDeps> = {}): DeliverDeps => ({
    sql: db.sql,
    transports: { slack: slackFake.transport, email: emailFake.transport },
    now: () => clock,
    config: CONFIG,
    log: (e) => events.push(e),
    random: () => 0,
    ...over,
  });

  beforeAll(async () => {
    db = await freshDatabase(target);
    outDir = mkdtempSync(join(tmpdir(), 'pulsebot-dispatch-'));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(outDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await db.sql`delete from pulsebot.outbox`;
    slackFake = fake('slack');
    emailFake = fake('email');
    clock = T0;
    events = [];
  });

  it('sends what is due and records the receipt', async () => {
    await enqueue(db.sql, [slack('d1:slack'), email('d1:email')], { kind: 'report', now: T0 });
    expect(await deliverDue(deps())).toEqual({ sent: 2, retried: 0, dead: 0, resumed: 0 });
    expect(slackFake.sent.map((s) => s.ctx.key)).toEqual(['d1:slack']);
    expect(emailFake.sent.map((s) => s.payload.to)).toEqual(['ana@example.com']);
    expect(emailFake.sent[0]!.ctx).toMatchObject({ resumed: false, progress: {} });
    const rows = await db.sql<
      { key: string; state: string; receipt: unknown; sent_at: Date }[]
    >`select key, state, receipt, sent_at from pulsebot.outbox order by id`;
    expect(rows).toEqual([
      { key: 'd1:slack', state: 'sent', receipt: { externalId: 'slack:1' }, sent_at: T0 },
      { key: 'd1:email', state: 'sent', receipt: { externalId: 'email:1' }, sent_at: T0 },
    ]);
    expect(await deliverDue(deps())).toEqual({ sent: 0, retried: 0, dead: 0, resumed: 0 });
    expect(events.filter((e) => e.event === 'outbox.sent')).toHaveLength(2);
  });

  it('retries after the server’s Retry-After, not sooner, then succeeds', async () => {
    await enqueue(db.sql, [slack('d2:slack')], { kind: 'report', now: T0 });
    slackFake.failures.push(new DeliveryError('rate limited', { retryable: true, retryAfterMs: 120_000 }));
    expect(await deliverDue(deps())).toEqual({ sent: 0, retried: 1, dead: 0, resumed: 0 });
    const [row] = await db.sql<
      { state: string; next_attempt_at: Date; last_error: string }[]
    >`select state, next_attempt_at, last_error from pulsebot.outbox`;
    // The backoff alone (random 0) would be 30 s; the server asked for 120 s.
    expect(row).toEqual({ state: 'pending', next_attempt_at: at(120), last_error: 'rate limited' });
    expect(events.find((e) => e.event === 'outbox.retry')).toMatchObject({
      level: 'warn',
      key: 'd2:slack',
      delayMs: 120_000,
    });

    clock = at(119);
    expect(await deliverDue(deps())).toEqual({ sent: 0, retried: 0, dead: 0, resumed: 0 });
    clock = at(120);
    expect(await deliverDue(deps())).toEqual({ sent: 1, retried: 0, dead: 0, resumed: 0 });
    expect(slackFake.attempts).toBe(2);
    // A retry may follow an attempt that reached Slack: the transport is told to look first.
    expect(slackFake.sent[0]!.ctx.resumed).toBe(true);
  });

  it('an error that is not a DeliveryError is retried with backoff, and progress survives the retry', async () => {
    await enqueue(db.sql, [slack('d3:slack')], { kind: 'report', now: T0 });
    slackFake.during = async (_p, ctx) => {
      if (slackFake.attempts === 1) {
        await ctx.checkpoint({ ts: '1700000000.000100', uploaded: ['cost.png'] });
        throw new TypeError('fetch failed');
      }
    };
    expect(await deliverDue(deps({ random: () => 1 }))).toMatchObject({ retried: 1 });
    expect(await stateOf(db.sql, 'd3:slack')).toBe('pending');
    clock = at(30);
    expect(await deliverDue(deps())).toMatchObject({ sent: 1 });
    expect(slackFake.sent[0]!.ctx.progress).toEqual({ ts: '1700000000.000100', uploaded: ['cost.png'] });
  });

  it('gives up after maxAttempts and reports it once, by email, for a Slack failure', async () => {
    await enqueue(db.sql, [slack('d4:slack')], { kind: 'report', now: T0 });
    slackFake.always = new DeliveryError('Slack is down (503)', { retryable: true });
    const totals = { sent: 0, retried: 0, dead: 0, resumed: 0 };
    for (let minute = 0; minute < 60; minute++) {
      clock = at(minute * 60);
      const r = await deliverDue(deps());
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
    }
    // 2 retries, then dead; the notice itself is an email and went out (counted as sent).
    expect(totals).toEqual({ sent: 1, retried: 2, dead: 1, resumed: 0 });
    expect(slackFake.attempts).toBe(3);
    expect(await stateOf(db.sql, 'd4:slack')).toBe('dead');
    expect(emailFake.sent).toHaveLength(1);
    const notice = emailFake.sent[0]!.payload;
    expect(notice.to).toBe('ops@example.com');
    expect(notice.subject).toMatch(/^pulsebot could not deliver a report \(Slack #ai-usage\)/);
    expect(notice.text).toContain('Slack is down (503)');
    expect(notice.text).toContain('text of d4:slack');
    expect(notice.html).toContain('Slack is down (503)');
    expect(emailFake.sent[0]!.ctx.key).toBe('failure:d4:slack:attempt:3:email:ops@example.com');
    expect(events.filter((e) => e.event === 'outbox.dead')).toEqual([
      expect.objectContaining({ level: 'error', key: 'd4:slack', attempts: 3 }),
    ]);
    const [row] = await db.sql<
      { failure_reported_at: Date | null }[]
    >`select failure_reported_at from pulsebot.outbox where key = 'd4:slack'`;
    expect(row!.failure_reported_at).not.toBeNull();
  });

  it('a thread-only reply is given up with its message, and only the message is reported', async () => {
    await enqueue(db.sql, [slack('d4b:main'), slack('d4b:details', { threadOfKey: 'd4b:main', onlyInThread: true })], {
      kind: 'report',
      now: T0,
    });
    // The first send (the message) fails for good; the reply would succeed, but is never sent.
    slackFake.failures.push(new DeliveryError('channel_not_found', { retryable: false }));
    await deliverDue(deps());
    await deliverDue(deps());
    expect(slackFake.attempts).toBe(1);
    expect(await stateOf(db.sql, 'd4b:main')).toBe('dead');
    expect(await stateOf(db.sql, 'd4b:details')).toBe('dead');
    expect(emailFake.sent.map((m) => m.ctx.key)).toEqual(['failure:d4b:main:attempt:1:email:ops@example.com']);
    const rows = await db.sql<
      { key: string; last_error: string; reported: boolean }[]
    >`select key, last_error, failure_reported_at is not null as reported from pulsebot.outbox where key like 'd4b:%' order by id`;
    expect(rows[1]).toEqual({
      key: 'd4b:details',
      last_error: 'its message d4b:main was given up, so this reply in its thread is too',
      reported: true,
    });
  });

  it('gives up at once on a permanent error and reports an email failure in Slack', async () => {
    await enqueue(db.sql, [email('d5:email', 'gone@example.com')], { kind: 'report', now: T0 });
    emailFake.failures.push(new DeliveryError('550 5.1.1 <gone@example.com>: user unknown', { retryable: false }));
    expect(await deliverDue(deps())).toEqual({ sent: 1, retried: 0, dead: 1, resumed: 0 });
    expect(slackFake.sent).toHaveLength(1);
    const notice = slackFake.sent[0]!.payload;
    expect(notice.channel).toBe('#oncall');
    expect(notice.text).toContain('pulsebot could not deliver a report (email to gone@example.com)');
    // Data goes in plain_text: an address in angle brackets cannot become a Slack link or mention.
    expect(JSON.stringify(notice.blocks)).toContain('550 5.1.1 <gone@example.com>: user unknown');
    expect(notice.blocks[1]).toMatchObject({ type: 'section', text: { type: 'plain_text' } });
    for (let i = 1; i <= 3; i++) {
      clock = at(i * 3600);
      await deliverDue(deps());
    }
    expect(slackFake.sent).toHaveLength(1);
    const rows = await db.sql<
      { key: string; kind: string; state: string }[]
    >`select key, kind, state from pulsebot.outbox order by id`;
    expect(rows).toEqual([
      { key: 'd5:email', kind: 'report', state: 'dead' },
      { key: 'failure:d5:email:attempt:1:slack:#oncall', kind: 'failure_notice', state: 'sent' },
    ]);
  });

  it('with no route on the other channel, writes the notice to the file outbox and logs an error', async () => {
    const files = createFileTransport(outDir);
    await enqueue(db.sql, [slack('d6:slack')], { kind: 'report', now: T0 });
    slackFake.failures.push(new DeliveryError('channel_not_found', { retryable: false }));
    const config = { ...CONFIG, failureRoutes: { slack: ['#oncall'], email: [] } };
    expect(await deliverDue(deps({ config, files: { email: files.email } }))).toEqual({
      sent: 0,
      retried: 0,
      dead: 1,
      resumed: 0,
    });
    expect(emailFake.attempts + slackFake.sent.length).toBe(0);
    const logged = events.find((e) => e.event === 'outbox.undelivered');
    expect(logged).toMatchObject({
      level: 'error',
      key: 'd6:slack',
      error: 'channel_not_found',
      reason: 'no failure route on email',
    });
    const path = String(logged!.file);
    expect(readdirSync(outDir)).toContain(path.slice(outDir.length + 1));
    expect(readFileSync(join(path, 'message.eml'), 'utf8')).toContain('channel_not_found');
    // Reported once: a later run does not write or log it again.
    events = [];
    await deliverDue(deps({ config, files: { email: files.email } }));
    expect(events.filter((e) => e.event === 'outbox.undelivered')).toEqual([]);
  });

  it('without a file outbox either, the failure is still logged at error level', async () => {
    await enqueue(db.sql, [email('d7:email')], { kind: 'report', now: T0 });
    emailFake.failures.push(new DeliveryError('550 rejected', { retryable: false }));
    await deliverDue(deps({ config: { ...CONFIG, failureRoutes: { slack: [], email: ['ops@example.com'] } } }));
    expect(events.find((e) => e.event === 'outbox.undelivered')).toMatchObject({
      level: 'error',
      key: 'd7:email',
      file: null,
    });
  });

  it('a failure notice that fails is written to the file outbox, not bounced back as another notice', async () => {
    const files = createFileTransport(outDir);
    await enqueue(db.sql, [email('d8:email')], { kind: 'report', now: T0 });
    emailFake.always = new DeliveryError('550 rejected', { retryable: false });
    slackFake.always = new DeliveryError('invalid_auth', { retryable: false });
    expect(await deliverDue(deps({ files: { email: files.email } }))).toEqual({
      sent: 0,
      retried: 0,
      dead: 2,
      resumed: 0,
    });
    const rows = await db.sql<{ key: string; state: string }[]>`select key, state from pulsebot.outbox order by id`;
    expect(rows).toEqual([
      { key: 'd8:email', state: 'dead' },
      { key: 'failure:d8:email:attempt:1:slack:#oncall', state: 'dead' },
    ]);
    expect(events.find((e) => e.event === 'outbox.undelivered')).toMatchObject({
      level: 'error',
      key: 'failure:d8:email:attempt:1:slack:#oncall',
      reason: 'the failure notice itself failed',
    });
  });

  it('reports a dead row that a crash left unreported', async () => {
    await enqueue(db.sql, [slack('d9:slack')], { kind: 'report', now: T0 });
    const [claimed] = await claimDue(db.sql, { now: T0, leaseMs: 60_000, limit: 1 });
    await markDead(db.sql, claimed!, { error: 'channel_not_found', now: T0 }); // …and the process died here
    clock = at(5);
    await deliverDue(deps());
    expect(emailFake.sent.map((s) => s.ctx.key)).toEqual(['failure:d9:slack:attempt:1:email:ops@example.com']);
  });

  it('sends a thread reply only after the message it replies to, even with several workers', async () => {
    await enqueue(
      db.sql,
      [slack('d10:resolved', { threadOfKey: 'd10:firing' }), slack('d10:firing'), slack('d10:other')],
      { kind: 'alert', now: T0 },
    );
    let parentReceipt: DeliveryReceipt | null = null;
    slackFake.during = async (p, ctx) => {
      if (p.threadOfKey) parentReceipt = await ctx.receiptOf(p.threadOfKey);
      await new Promise((r) => setTimeout(r, 20));
    };
    expect(await deliverDue(deps({ concurrency: 4 }))).toMatchObject({ sent: 3 });
    const order = slackFake.sent.map((s) => s.ctx.key);
    expect(order.indexOf('d10:firing')).toBeLessThan(order.indexOf('d10:resolved'));
    expect(parentReceipt).toEqual(slackFake.sent.find((s) => s.ctx.key === 'd10:firing')!.receipt);
  });

  it('never takes over a row it is still sending itself, even once the lease ran out', async () => {
    await enqueue(db.sql, [slack('d12:slow'), slack('d12:quick')], { kind: 'report', now: T0 });
    slackFake.during = async (p) => {
      if (p.text === 'text of d12:slow') {
        clock = at(120); // the send outlives its 60 s lease…
        await new Promise((r) => setTimeout(r, 100)); // …while the other worker looks for work
      }
    };
    expect(await deliverDue(deps({ leaseMs: 60_000, concurrency: 2 }))).toEqual({
      sent: 2,
      retried: 0,
      dead: 0,
      resumed: 0,
    });
    expect(slackFake.attempts).toBe(2);
  });

  it('resumes a row whose sender died mid-send, with the progress it recorded', async () => {
    await enqueue(db.sql, [slack('d11:slack')], { kind: 'report', now: T0 });
    const [claimed] = await claimDue(db.sql, { now: T0, leaseMs: 60_000, limit: 1 });
    await db.sql`update pulsebot.outbox set progress = ${db.sql.json({ ts: '1.5' })} where id = ${claimed!.id}`;
    clock = at(30);
    expect(await deliverDue(deps({ leaseMs: 60_000 }))).toEqual({ sent: 0, retried: 0, dead: 0, resumed: 0 });
    clock = at(61);
    expect(await deliverDue(deps({ leaseMs: 60_000 }))).toEqual({ sent: 1, retried: 0, dead: 0, resumed: 1 });
    expect(slackFake.sent[0]!.ctx).toMatchObject({ resumed: true, progress: { ts: '1.5' } });
    expect(events.find((e) => e.event === 'outbox.resumed')).toMatchObject({
      level: 'warn',
      key: 'd11:slack',
      attempts: 2,
    });
  });
});
