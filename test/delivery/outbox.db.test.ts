import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import {
  claimDue,
  enqueue,
  listProblems,
  markDead,
  markRetry,
  markSent,
  pruneOutbox,
  receiptOf,
  saveProgress,
  stateOf,
  type ClaimedMessage,
} from '../../src/delivery/outbox.js';
import { sha256Hex } from '../../src/delivery/outbox-blobs.js';
import type { EmailPayload, OutgoingMessage, SlackPayload } from '../../src/delivery/types.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const T0 = new Date('2026-11-25T09:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const LEASE = 60_000;

const png = (seed: string) =>
  Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(seed), randomBytes(2048)]);

function slack(key: string, extra: Partial<SlackPayload> = {}, files: Buffer[] = []): OutgoingMessage {
  return {
    channel: 'slack',
    key,
    payload: {
      channel: '#ai-usage',
      text: `digest ${key}`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
      files: files.map((content, i) => ({
        filename: `chart${i}.png`,
        title: `Chart ${i}`,
        altText: `chart ${i}`,
        content,
      })),
      ...extra,
    },
  };
}

function email(key: string, to: string, charts: Buffer[] = []): OutgoingMessage {
  const payload: EmailPayload = {
    from: 'pulsebot <pulsebot@example.com>',
    to,
    subject: `Daily digest ${key}`,
    html: charts.map((_, i) => `<img src="cid:chart${i}@pulsebot">`).join(''),
    text: 'text',
    messageId: `<${key}@pulsebot>`,
    attachments: charts.map((content, i) => ({
      filename: `chart${i}.png`,
      cid: `chart${i}@pulsebot`,
      contentType: 'image/png',
      content,
    })),
  };
  return { channel: 'email', key, payload };
}

async function claimAll(db: Database, now: Date, limit = 100): Promise<ClaimedMessage[]> {
  return claimDue(db.sql, { now, leaseMs: LEASE, limit });
}

describe.each(TARGETS)('outbox on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db?.close());

  it('enqueuing the same key twice keeps one row', async () => {
    const messages = [slack('t1:slack'), email('t1:email:a', 'a@x.com')];
    expect(await enqueue(db.sql, messages, { kind: 'report', now: T0 })).toEqual({ inserted: 2, existing: 0 });
    expect(await enqueue(db.sql, messages, { kind: 'report', now: at(10) })).toEqual({ inserted: 0, existing: 2 });
    const rows = await db.sql<{ key: string; created_at: Date; state: string; destination: string; kind: string }[]>`
      select key, created_at, state, destination, kind from pulsebot.outbox where key like 't1:%' order by id`;
    expect(rows).toEqual([
      { key: 't1:slack', created_at: T0, state: 'pending', destination: '#ai-usage', kind: 'report' },
      { key: 't1:email:a', created_at: T0, state: 'pending', destination: 'a@x.com', kind: 'report' },
    ]);
    await db.sql`delete from pulsebot.outbox where key like 't1:%'`;
  });

  it('claims due rows as sending with a lease and an attempt, and nothing that is not due', async () => {
    await enqueue(db.sql, [slack('t2:slack'), email('t2:email', 'b@x.com')], { kind: 'report', now: at(100) });
    expect(await claimAll(db, at(99))).toEqual([]);

    const claimed = await claimAll(db, at(100));
    expect(claimed.map((c) => [c.key, c.attempts, c.resumed, c.channel])).toEqual([
      ['t2:slack', 1, false, 'slack'],
      ['t2:email', 1, false, 'email'],
    ]);
    expect(claimed[0]!.leaseUntil).toEqual(at(160));
    const rows = await db.sql<{ state: string; attempts: number; lease_until: Date }[]>`
      select state, attempts, lease_until from pulsebot.outbox where key like 't2:%' order by id`;
    expect(rows).toEqual([
      { state: 'sending', attempts: 1, lease_until: at(160) },
      { state: 'sending', attempts: 1, lease_until: at(160) },
    ]);
    // Leased: nobody else gets them before the lease ends.
    expect(await claimAll(db, at(159))).toEqual([]);

    await markSent(db.sql, claimed[0]!, { receipt: { externalId: 'C1:1.0001' }, now: at(101) });
    await markSent(db.sql, claimed[1]!, { receipt: { externalId: '<t2@pulsebot>' }, now: at(101) });
    expect(await receiptOf(db.sql, 't2:slack')).toEqual({ externalId: 'C1:1.0001' });
    expect(await claimAll(db, at(10_000))).toEqual([]);
  });

  it('reclaims a row whose lease expired as resumed, with its progress, and fences off the old sender', async () => {
    await enqueue(db.sql, [slack('t3:slack')], { kind: 'report', now: T0 });
    const [first] = await claimAll(db, T0);
    expect(first).toBeDefined();
    expect(
      await saveProgress(db.sql, first!, {
        progress: { ts: '1.0002', uploaded: ['chart0.png'] },
        now: at(30),
        leaseMs: LEASE,
      }),
    ).toBe(true);
    // The checkpoint renewed the lease: not reclaimable at the first lease's end.
    expect(await claimAll(db, at(61))).toEqual([]);

    const [second] = await claimAll(db, at(90));
    expect(second).toMatchObject({
      key: 't3:slack',
      attempts: 2,
      resumed: true,
      progress: { ts: '1.0002', uploaded: ['chart0.png'] },
    });

    // The first sender wakes up: none of its writes land.
    expect(await saveProgress(db.sql, first!, { progress: { ts: 'stale' }, now: at(91), leaseMs: LEASE })).toBe(false);
    expect(await markSent(db.sql, first!, { receipt: { externalId: 'stale' }, now: at(91) })).toBe(false);
    expect(await markRetry(db.sql, first!, { error: 'x', nextAttemptAt: at(92), now: at(91) })).toBe(false);
    expect(await markDead(db.sql, first!, { error: 'x', now: at(91) })).toBe(false);
    expect(await stateOf(db.sql, 't3:slack')).toBe('sending');

    expect(await markSent(db.sql, second!, { receipt: { externalId: 'C1:1.0002' }, now: at(95) })).toBe(true);
    expect(await receiptOf(db.sql, 't3:slack')).toEqual({ externalId: 'C1:1.0002' });
  });

  it('stores a chart once for 21 messages that share it, and gives back the same bytes', async () => {
    const charts = [png('a'), png('b')];
    const [before] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.outbox_blobs`;
    const messages = [
      slack('t4:slack', {}, charts),
      ...Array.from({ length: 20 }, (_, i) => email(`t4:email:${i}`, `u${i}@x.com`, charts)),
    ];
    await enqueue(db.sql, messages, { kind: 'report', now: T0 });
    const [after] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.outbox_blobs`;
    expect(after!.n - before!.n).toBe(2);
    const [refs] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pulsebot.outbox_blob_refs r join pulsebot.outbox o on o.id = r.outbox_id where o.key like 't4:%'`;
    expect(refs!.n).toBe(42);
    // The JSON holds references, not base64 copies.
    const [size] = await db.sql<
      { bytes: number }[]
    >`select max(pg_column_size(payload))::int as bytes from pulsebot.outbox where key like 't4:%'`;
    expect(size!.bytes).toBeLessThan(2000);

    const claimed = await claimAll(db, T0);
    expect(claimed.map((c) => c.key)).toEqual(messages.map((m) => m.key));
    claimed.forEach((c, i) => {
      expect(c.payload).toEqual(messages[i]!.payload);
      const buffers =
        c.channel === 'slack'
          ? c.payload.files.map((f) => f.content)
          : c.channel === 'email'
            ? c.payload.attachments.map((a) => a.content)
            : [];
      buffers.forEach((b, j) => expect(Buffer.isBuffer(b) && b.equals(charts[j]!)).toBe(true));
    });
    for (const c of claimed) await markSent(db.sql, c, { receipt: { externalId: c.key }, now: at(1) });
  });

  it('holds a reply until the message it threads under is sent', async () => {
    await enqueue(
      db.sql,
      [
        slack('t5:firing'),
        slack('t5:resolved', { threadOfKey: 't5:firing' }),
        slack('t5:update', { updateOfKey: { key: 't5:firing', text: 'ok', blocks: [] } }),
      ],
      { kind: 'alert', now: T0 },
    );
    const first = await claimAll(db, T0);
    expect(first.map((c) => c.key)).toEqual(['t5:firing']);
    expect(await claimAll(db, at(1))).toEqual([]);
    await markSent(db.sql, first[0]!, { receipt: { externalId: 'C1:5.0' }, now: at(2) });
    const second = await claimAll(db, at(3));
    expect(second.map((c) => c.key)).toEqual(['t5:resolved', 't5:update']);
    for (const c of second) await markSent(db.sql, c, { receipt: { externalId: c.key }, now: at(4) });
  });

  it('a reply whose parent died or never existed is not held forever', async () => {
    await enqueue(
      db.sql,
      [
        slack('t6:firing'),
        slack('t6:resolved', { threadOfKey: 't6:firing' }),
        slack('t6:orphan', { threadOfKey: 't6:nothing' }),
      ],
      { kind: 'alert', now: T0 },
    );
    const first = await claimAll(db, T0);
    expect(first.map((c) => c.key)).toEqual(['t6:firing', 't6:orphan']);
    await markDead(db.sql, first[0]!, { error: 'channel_not_found', now: at(1) });
    await markSent(db.sql, first[1]!, { receipt: { externalId: 'x' }, now: at(1) });
    expect((await claimAll(db, at(2))).map((c) => c.key)).toEqual(['t6:resolved']);
    await db.sql`update pulsebot.outbox set state = 'dead', dead_at = ${at(3)}, lease_until = null where key = 't6:resolved'`;
  });

  it('lists dead, retrying and stuck rows for doctor', async () => {
    await enqueue(db.sql, [email('t7:retry', 'r@x.com'), email('t7:dead', 'd@x.com'), email('t7:stuck', 's@x.com')], {
      kind: 'report',
      now: T0,
    });
    const claimed = await claimAll(db, T0);
    const byKey = new Map(claimed.map((c) => [c.key, c]));
    await markRetry(db.sql, byKey.get('t7:retry')!, { error: '421 try later', nextAttemptAt: at(600), now: at(1) });
    await markDead(db.sql, byKey.get('t7:dead')!, { error: '550 no such user', now: at(2) });
    const problems = (await listProblems(db.sql, { now: at(120) })).filter((p) => p.key.startsWith('t7:'));
    expect(problems.map((p) => [p.key, p.problem, p.attempts, p.lastError])).toEqual([
      ['t7:dead', 'dead', 1, '550 no such user'],
      ['t7:retry', 'retrying', 1, '421 try later'],
      ['t7:stuck', 'stuck', 1, null],
    ]);
    expect(problems[1]!.nextAttemptAt).toEqual(at(600));
    // Without a clock, leases cannot be judged: stuck rows are left out.
    expect((await listProblems(db.sql)).filter((p) => p.key.startsWith('t7:')).map((p) => p.key)).toEqual([
      't7:dead',
      't7:retry',
    ]);
    await db.sql`delete from pulsebot.outbox where key like 't7:%'`;
  });

  it('prunes old sent rows and the blobs only they used', async () => {
    const old = png('old');
    const shared = png('shared');
    await enqueue(db.sql, [email('t8:old', 'o@x.com', [old, shared])], { kind: 'report', now: at(-40 * 86_400) });
    const [claimed] = await claimAll(db, at(-40 * 86_400));
    await markSent(db.sql, claimed!, { receipt: { externalId: 'x' }, now: at(-40 * 86_400) });
    // Still pending and using the shared chart: it must survive.
    await enqueue(db.sql, [email('t8:new', 'n@x.com', [shared])], { kind: 'report', now: at(-40 * 86_400 + 1) });
    const t8 = [sha256Hex(old), sha256Hex(shared)];
    await db.sql`update pulsebot.outbox_blobs set created_at = ${at(-40 * 86_400)} where sha256 = any(${t8}::text[])`;

    const pruned = await pruneOutbox(db.sql, at(-30 * 86_400));
    expect(pruned.rowsDeleted).toBeGreaterThanOrEqual(1);
    expect(await stateOf(db.sql, 't8:old')).toBeNull();
    expect(await stateOf(db.sql, 't8:new')).toBe('pending');
    const [claimedNew] = (await claimAll(db, T0)).filter((c) => c.key === 't8:new');
    expect(claimedNew?.channel === 'email' && claimedNew.payload.attachments[0]!.content.equals(shared)).toBe(true);
    const left = await db.sql<
      { sha256: string }[]
    >`select sha256 from pulsebot.outbox_blobs where sha256 = any(${t8}::text[])`;
    expect(left.map((r) => r.sha256)).toEqual([sha256Hex(shared)]);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('concurrent claimers on PostgreSQL', () => {
  let db: Database;
  let other: postgres.Sql;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    if (db.target.kind !== 'postgres') throw new Error('expected PostgreSQL');
    other = postgres(db.target.url, { max: 4, onnotice: () => {} });
  });
  afterAll(async () => {
    await other?.end();
    await db?.close();
  });

  it('a claim in an open transaction locks its rows; another connection skips them instead of waiting', async () => {
    await enqueue(
      db.sql,
      Array.from({ length: 10 }, (_, i) => email(`c1:${i}`, `c${i}@x.com`)),
      { kind: 'report', now: T0 },
    );
    let inside: string[] = [];
    let outside: string[] = [];
    await db.sql.begin(async (tx) => {
      inside = (await claimDue(tx, { now: T0, leaseMs: LEASE, limit: 4 })).map((c) => c.key);
      // Uncommitted: the rows are still 'pending' for others, but locked.
      outside = (await claimDue(other as never, { now: T0, leaseMs: LEASE, limit: 100 })).map((c) => c.key);
    });
    expect(inside).toHaveLength(4);
    expect(outside).toHaveLength(6);
    expect(inside.filter((k) => outside.includes(k))).toEqual([]);
  });

  it('claimers racing on two connections never take the same row', async () => {
    const n = 300;
    await enqueue(
      db.sql,
      Array.from({ length: n }, (_, i) => email(`c2:${i}`, `r${i}@x.com`)),
      { kind: 'report', now: T0 },
    );
    const drain = async (sql: typeof db.sql) => {
      const got: string[] = [];
      for (;;) {
        const batch = await claimDue(sql, { now: T0, leaseMs: LEASE, limit: 3 });
        if (batch.length === 0) return got;
        got.push(...batch.map((c) => c.key).filter((k) => k.startsWith('c2:')));
      }
    };
    const results = await Promise.all([drain(db.sql), drain(other as never), drain(db.sql), drain(other as never)]);
    const all = results.flat();
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
    // Both connections did part of the work (the race was real).
    expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1);
  });
});
