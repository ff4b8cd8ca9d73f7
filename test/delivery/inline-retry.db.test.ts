import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { deliverDue, type DeliverConfig, type DeliverDeps, type MessageOutcome } from '../../src/delivery/dispatch.js';
import { claimDue, enqueue } from '../../src/delivery/outbox.js';
import {
  DeliveryError,
  type EmailPayload,
  type OutgoingMessage,
  type SendContext,
  type SlackPayload,
  type Transport,
} from '../../src/delivery/types.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const T0 = new Date('2026-11-25T09:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const CONFIG: DeliverConfig = {
  maxAttempts: 3,
  backoffBaseMs: 30_000,
  backoffMaxMs: 600_000,
  failureRoutes: { slack: [], email: ['ops@example.com'] },
};

/** A transport that fails with the queued errors, then succeeds; it records every try's context. */
function scripted<P>(name: 'slack' | 'email') {
  const tries: Array<{ progress: Record<string, unknown>; resumed: boolean }> = [];
  const failures: unknown[] = [];
  let sent = 0;
  let during: ((ctx: SendContext) => Promise<void>) | undefined;
  const transport: Transport<P> = {
    name,
    async send(_payload, ctx) {
      tries.push({ progress: ctx.progress, resumed: ctx.resumed });
      await during?.(ctx);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      sent++;
      return { externalId: `${name}:${sent}` };
    },
    close: async () => {},
  };
  return {
    transport,
    tries,
    failures,
    sent: () => sent,
    setDuring(f: (ctx: SendContext) => Promise<void>) {
      during = f;
    },
  };
}

const slackMessage = (key: string): OutgoingMessage => ({
  channel: 'slack',
  key,
  payload: { channel: '#ai-usage', text: `text of ${key}`, blocks: [], files: [] },
});
const http500 = () => new DeliveryError('Slack chat.postMessage failed: HTTP 500', { retryable: true });

describe.each(TARGETS)('retries within one run (inlineRetryMs) on %s', (target) => {
  let db: Database;
  let slack: ReturnType<typeof scripted<SlackPayload>>;
  let email: ReturnType<typeof scripted<EmailPayload>>;
  let clock: Date;
  let slept: number[];
  let events: Array<Record<string, unknown>>;
  let outcomes: MessageOutcome[];

  const deps = (over: Partial<DeliverDeps> = {}): DeliverDeps => ({
    sql: db.sql,
    transports: { slack: slack.transport, email: email.transport },
    now: () => clock,
    config: CONFIG,
    log: (e) => events.push(e),
    random: () => 0,
    inlineRetryMs: 60_000,
    // The wait passes on the test's clock, not the wall clock.
    sleep: async (ms) => {
      slept.push(ms);
      clock = new Date(clock.getTime() + ms);
    },
    onOutcome: (o) => outcomes.push(o),
    ...over,
  });
  const row = async (key: string) => {
    const [r] = await db.sql<
      { state: string; attempts: number; next_attempt_at: Date; lease_until: Date | null; last_error: string | null }[]
    >`select state, attempts, next_attempt_at, lease_until, last_error from pulsebot.outbox where key = ${key}`;
    return r!;
  };

  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.sql`delete from pulsebot.outbox`;
    slack = scripted<SlackPayload>('slack');
    email = scripted<EmailPayload>('email');
    clock = T0;
    slept = [];
    events = [];
    outcomes = [];
  });

  it('rides out two 500s within the same claim: one attempt, three tries, the later ones look before posting', async () => {
    await enqueue(db.sql, [slackMessage('i1')], { kind: 'report', now: T0 });
    slack.failures.push(http500(), http500());
    slack.setDuring(async (ctx) => {
      // The first try got as far as posting before its answer failed.
      if (slack.tries.length === 1) await ctx.checkpoint({ ts: '1700000000.000100' });
    });
    expect(await deliverDue(deps())).toEqual({ sent: 1, retried: 0, dead: 0, resumed: 0 });
    expect(slept).toEqual([1_000, 2_000]);
    expect(slack.tries).toEqual([
      { progress: {}, resumed: false },
      { progress: { ts: '1700000000.000100' }, resumed: true },
      { progress: { ts: '1700000000.000100' }, resumed: true },
    ]);
    expect(slack.sent()).toBe(1);
    expect(await row('i1')).toMatchObject({ state: 'sent', attempts: 1, lease_until: null });
    expect(events.filter((e) => e.event === 'outbox.inline_retry').map((e) => [e.retry, e.delayMs])).toEqual([
      [1, 1_000],
      [2, 2_000],
    ]);
    expect(outcomes).toEqual([{ key: 'i1', channel: 'slack', destination: '#ai-usage', outcome: 'sent' }]);
  });

  it('holds the claim through each wait: no other sender can take the row meanwhile', async () => {
    await enqueue(db.sql, [slackMessage('i2')], { kind: 'report', now: T0 });
    slack.failures.push(http500());
    const takenByOthers: number[] = [];
    const result = await deliverDue(
      deps({
        leaseMs: 5_000,
        sleep: async (ms) => {
          slept.push(ms);
          // Another process looks for work at the very end of the wait, past the 5 s lease's original end.
          clock = new Date(clock.getTime() + ms);
          const other = await claimDue(db.sql, { now: at(5_500), leaseMs: 5_000, limit: 10 });
          takenByOthers.push(other.length);
        },
      }),
    );
    expect(result.sent).toBe(1);
    expect(takenByOthers).toEqual([0]);
    expect(slack.sent()).toBe(1);
  });

  it('leaves the message to the outbox once the window is used up, with its usual backoff', async () => {
    await enqueue(db.sql, [slackMessage('i3')], { kind: 'report', now: T0 });
    slack.failures.push(...Array.from({ length: 50 }, http500));
    expect(await deliverDue(deps())).toEqual({ sent: 0, retried: 1, dead: 0, resumed: 0 });
    // 1, 2, 4, 8, then 10 s each while the total stays within 60 s: 55 s; a further 10 s would end at 65 s.
    expect(slept).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000]);
    expect(slack.tries).toHaveLength(9);
    const r = await row('i3');
    expect(r).toMatchObject({ state: 'pending', attempts: 1, last_error: 'Slack chat.postMessage failed: HTTP 500' });
    // backoffBaseMs with random 0, from the moment the last try failed (55 s in).
    expect(r.next_attempt_at).toEqual(at(55_000 + 30_000));
    expect(outcomes.map((o) => o.outcome)).toEqual(['retried']);
  });

  it('a Retry-After beyond the window is not waited for within the run', async () => {
    await enqueue(db.sql, [slackMessage('i4')], { kind: 'report', now: T0 });
    slack.failures.push(new DeliveryError('rate limited', { retryable: true, retryAfterMs: 90_000 }));
    expect(await deliverDue(deps())).toMatchObject({ retried: 1 });
    expect(slept).toEqual([]);
    expect((await row('i4')).next_attempt_at).toEqual(at(90_000));
  });

  it('a Retry-After within the window is waited for, not the shorter backoff', async () => {
    await enqueue(db.sql, [slackMessage('i5')], { kind: 'report', now: T0 });
    slack.failures.push(new DeliveryError('rate limited', { retryable: true, retryAfterMs: 7_000 }));
    expect(await deliverDue(deps())).toMatchObject({ sent: 1 });
    expect(slept).toEqual([7_000]);
  });

  it('does not retry within the run what retrying cannot fix, nor anything without a window (the daemon)', async () => {
    await enqueue(db.sql, [slackMessage('i6'), slackMessage('i7')], { kind: 'report', now: T0 });
    slack.failures.push(new DeliveryError('channel_not_found', { retryable: false }), http500());
    expect(await deliverDue(deps({ inlineRetryMs: undefined }))).toMatchObject({ dead: 1, retried: 1 });
    expect(slept).toEqual([]);
    // The two are sent side by side (deliverDue's workers): which one met which failure varies.
    expect([(await row('i6')).state, (await row('i7')).state].sort()).toEqual(['dead', 'pending']);
  });

  it('a run that dies during a wait leaves the row to be resumed once its lease ends, and it is posted once', async () => {
    await enqueue(db.sql, [slackMessage('i8')], { kind: 'report', now: T0 });
    slack.failures.push(http500());
    const crash = new Error('killed');
    await expect(
      deliverDue(
        deps({
          leaseMs: 60_000,
          sleep: async () => {
            throw crash;
          },
        }),
      ),
    ).rejects.toBe(crash);
    const held = await row('i8');
    expect(held.state).toBe('sending');
    // Renewed before the wait for the lease plus the 1 s wait.
    expect(held.lease_until).toEqual(at(61_000));

    clock = at(60_000);
    expect(await deliverDue(deps({ leaseMs: 60_000 }))).toEqual({ sent: 0, retried: 0, dead: 0, resumed: 0 });
    clock = at(61_000);
    expect(await deliverDue(deps({ leaseMs: 60_000 }))).toEqual({ sent: 1, retried: 0, dead: 0, resumed: 1 });
    expect(slack.tries.at(-1)).toEqual({ progress: {}, resumed: true });
    expect(slack.sent()).toBe(1);
  });
});
