import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { deliverDue, type DeliverConfig, type DeliverDeps } from '../../src/delivery/dispatch.js';
import { claimDue, enqueue } from '../../src/delivery/outbox.js';
import { outboxStatus, requeueDead } from '../../src/delivery/outbox-status.js';
import { statusLine } from '../../src/delivery/status-lines.js';
import {
  DeliveryError,
  type EmailPayload,
  type SendContext,
  type SlackPayload,
  type Transport,
} from '../../src/delivery/types.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const T0 = new Date('2026-11-25T09:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const CONFIG: DeliverConfig = {
  maxAttempts: 3,
  backoffBaseMs: 30_000,
  backoffMaxMs: 600_000,
  failureRoutes: { slack: [], email: ['ops@example.com'] },
};

interface Switchable<P> {
  /** Thrown by every send while set. */
  failure: unknown;
  sent: Array<{ payload: P; key: string }>;
  transport: Transport<P>;
}

/** Fails every send with `failure` while it is set; records what went out. */
function switchable<P>(name: 'slack' | 'email'): Switchable<P> {
  const state: Switchable<P> = {
    failure: undefined,
    sent: [],
    transport: {
      name,
      async send(payload: P, ctx: SendContext) {
        if (state.failure !== undefined) throw state.failure;
        state.sent.push({ payload, key: ctx.key });
        return { externalId: `${name}:${state.sent.length}` };
      },
      close: async () => {},
    },
  };
  return state;
}

describe.each(TARGETS)('resending given-up messages and their failure notices on %s', (target) => {
  let db: Database;
  let slack: Switchable<SlackPayload>;
  let email: Switchable<EmailPayload>;
  let clock: Date;

  const deps = (): DeliverDeps => ({
    sql: db.sql,
    transports: { slack: slack.transport, email: email.transport },
    now: () => clock,
    config: CONFIG,
    log: () => {},
    random: () => 0,
  });
  const states = async () =>
    db.sql<{ key: string; state: string }[]>`select key, state from pulsebot.outbox order by id`.then((rows) =>
      rows.map((r) => `${r.key} ${r.state}`),
    );

  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.sql`delete from pulsebot.outbox`;
    slack = switchable<SlackPayload>('slack');
    email = switchable<EmailPayload>('email');
    clock = T0;
  });

  const report = {
    channel: 'slack' as const,
    key: 'report:daily:2026-11-24:slack:#nowhere',
    payload: { channel: '#nowhere', text: 'Daily digest', blocks: [], files: [] },
  };

  it('a resent message that fails again is reported again: a second notice, with its own key and Message-ID', async () => {
    await enqueue(db.sql, [report], { kind: 'report', now: T0 });
    slack.failure = new DeliveryError('channel_not_found', { retryable: false });
    await deliverDue(deps());
    clock = at(3600);
    expect(await requeueDead(db.sql, [report.key], clock)).toBe(1);
    await deliverDue(deps());

    expect(email.sent.map((s) => s.key)).toEqual([
      'failure:report:daily:2026-11-24:slack:#nowhere:attempt:1:email:ops@example.com',
      'failure:report:daily:2026-11-24:slack:#nowhere:attempt:2:email:ops@example.com',
    ]);
    const [first, second] = email.sent.map((s) => s.payload);
    // Mail clients collapse messages with one Message-ID: the second notice must not look like the first.
    expect(first!.messageId).not.toBe(second!.messageId);
    expect(second!.text).toMatch(/Attempts:\s+2/);
    expect(second!.text).toContain('pulsebot deliver --resend');
  });

  it('a failure notice that itself was given up goes out when resent by its own key', async () => {
    await enqueue(db.sql, [report], { kind: 'report', now: T0 });
    slack.failure = new DeliveryError('channel_not_found', { retryable: false });
    email.failure = new DeliveryError('550 5.1.1 ops@example.com: user unknown', { retryable: false });
    await deliverDue(deps());
    const notice = 'failure:report:daily:2026-11-24:slack:#nowhere:attempt:1:email:ops@example.com';
    expect(await states()).toEqual([`${report.key} dead`, `${notice} dead`]);

    email.failure = undefined; // the mailbox is fixed
    clock = at(600);
    expect(await requeueDead(db.sql, [notice], clock)).toBe(1);
    await deliverDue(deps());
    expect(email.sent.map((s) => s.key)).toEqual([notice]);
    // The message itself stays given up (nothing resent it); its notice is delivered, once.
    expect(await states()).toEqual([`${report.key} dead`, `${notice} sent`]);
    await deliverDue(deps());
    expect(email.sent).toHaveLength(1);
  });

  it('right after a crash a message resumes when its lease ends, and that is the time given, not a past one', async () => {
    await enqueue(db.sql, [report], { kind: 'report', now: T0 });
    // A sender claimed it at T0 + 10 s with a 5-minute lease and died.
    await claimDue(db.sql, { now: at(10), leaseMs: 300_000, limit: 1 });
    const now = at(20);
    const [row] = await outboxStatus(db.sql, [report.key]);
    expect(row).toMatchObject({ state: 'sending', nextAttemptAt: T0, leaseUntil: at(310) });
    const { delivered, line } = statusLine(row!, { now, routes: CONFIG.failureRoutes });
    expect(delivered).toBe(false);
    expect(line).toContain('resumes it at 09:05:10 UTC via `pulsebot run` or `pulsebot deliver`');
    expect(line).not.toContain('09:00:00');
  });
});
