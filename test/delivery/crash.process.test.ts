import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { enqueue } from '../../src/delivery/outbox.js';
import type { OutgoingMessage } from '../../src/delivery/types.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js';
import { processEntry } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';

/**
 * SIGKILL a delivering process at random moments and check that, once a successor has
 * finished, every message arrived exactly once: the Slack message and each of its files once
 * (the transport finds what a killed attempt did through the message metadata and the thread),
 * each email once per Message-ID. SMTP cannot be asked whether a message arrived, so a kill
 * between the server's 250 and our commit sends it again under the same Message-ID, which
 * mailbox providers collapse: raw duplicates are counted and reported, and bounded by the kills.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRIALS = Number(process.env.CRASH_TRIALS ?? 50);
const SEED = Number(process.env.CRASH_SEED ?? 20261125);
const LEASE_MS = 300;
const EMAILS = 20;
const SLACK_FILES = 3;
/** Side effects of one batch: the Slack message, its files and the emails. */
const EFFECTS = 1 + SLACK_FILES + EMAILS;
/** Killed runs per trial at most; a last run is left to finish. */
const MAX_KILLS = 3;
const CONCURRENCY = 4;

/** mulberry32: a small seeded generator, so a failing schedule of kills can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function png(label: string, size: number): Buffer {
  const body = Buffer.alloc(size);
  let h = createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i += h.length) {
    h.copy(body, i);
    h = createHash('sha256').update(h).digest();
  }
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), body]);
}

function batch(prefix: string): {
  messages: OutgoingMessage[];
  slackKey: string;
  messageIds: string[];
  fileNames: string[];
} {
  const charts = [png(`${prefix}-cost`, 12_000), png(`${prefix}-requests`, 12_000)];
  const fileNames = Array.from({ length: SLACK_FILES }, (_, i) => `${prefix}-chart${i}.png`);
  const slackKey = `${prefix}:slack:#ai-usage`;
  const messages: OutgoingMessage[] = [
    {
      channel: 'slack',
      key: slackKey,
      payload: {
        channel: '#ai-usage',
        text: `Daily digest ${prefix}`,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*Daily digest* ${prefix}` } }],
        files: fileNames.map((filename, i) => ({
          filename,
          title: `Chart ${i}`,
          altText: `chart ${i}`,
          content: png(`${prefix}-slack-${i}`, 8_000),
        })),
      },
    },
  ];
  const messageIds: string[] = [];
  for (let i = 0; i < EMAILS; i++) {
    const messageId = `<${prefix}.u${i}@pulsebot>`;
    messageIds.push(messageId);
    messages.push({
      channel: 'email',
      key: `${prefix}:email:u${i}@example.com`,
      payload: {
        from: 'pulsebot <pulsebot@example.com>',
        to: `u${i}@example.com`,
        subject: `Daily digest ${prefix}`,
        html: '<p>Digest</p><img src="cid:cost@pulsebot"><img src="cid:requests@pulsebot">',
        text: 'Digest',
        messageId,
        attachments: [
          { filename: 'cost.png', cid: 'cost@pulsebot', contentType: 'image/png', content: charts[0]! },
          { filename: 'requests.png', cid: 'requests@pulsebot', contentType: 'image/png', content: charts[1]! },
        ],
      },
    });
  }
  return { messages, slackKey, messageIds, fileNames };
}

type Moment = 'before' | 'during' | 'after' | 'exited';

interface RunResult {
  /** When the SIGKILL landed, relative to this child's sends; 'exited' when the child had finished first. */
  killedAt: Moment | null;
  startToReadyMs: number | null;
  readyToDoneMs: number | null;
  events: Array<Record<string, unknown>>;
}

/**
 * The SMTP sink has no 'error' listener on its server, so the ECONNRESET of a client killed
 * mid-session would be an uncaught exception in this process. Until the sink listens itself,
 * every SMTPServer started here gets a listener that counts resets and keeps anything else.
 */
const smtpServerErrors: Error[] = [];
let smtpResets = 0;
const originalListen = SMTPServer.prototype.listen;
SMTPServer.prototype.listen = function listen(this: SMTPServer, ...args: Parameters<SMTPServer['listen']>) {
  // (The sink's own listener is a once() for listen errors: gone after the first reset.)
  this.on('error', (error: Error & { code?: string }) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') smtpResets++;
    else smtpServerErrors.push(error);
  });
  return originalListen.apply(this, args);
} as SMTPServer['listen'];

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'crash safety: SIGKILL during delivery (real PostgreSQL, real transports, fake servers)',
  () => {
    let environment: FreshEnvironment;
    let db: Database;
    let slack: FakeSlack;
    let smtp: SmtpSink;

    beforeAll(async () => {
      environment = await freshEnvironment('postgres');
      db = await environment.open();
      slack = await startFakeSlack();
      smtp = await startSmtpSink();
    });
    afterAll(async () => {
      await db?.close();
      await slack?.close();
      await smtp?.close();
      await environment?.cleanup();
    });

    /** Side effects of one batch so far, as the servers saw them. */
    function effects(prefix: string): number {
      const msgs = slack.messages.filter((m) =>
        String(m.metadata?.event_payload.pulsebot_key ?? '').startsWith(prefix),
      ).length;
      const files = slack.files.filter((f) => f.filename.startsWith(prefix)).length;
      const mails = new Set(smtp.messages.map((m) => m.parsed.messageId).filter((id) => id?.startsWith(`<${prefix}.`)))
        .size;
      return msgs + files + mails;
    }

    function runChild(prefix: string, killAfterMs: number | null): Promise<RunResult> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [processEntry('test/delivery/crash-child.ts')], {
          cwd: ROOT,
          env: {
            ...process.env,
            ...environment.env,
            SLACK_API_URL: slack.url,
            SLACK_BOT_TOKEN: slack.token,
            SMTP_URL: smtp.url,
            CRASH_PREFIX: prefix,
            CRASH_LEASE_MS: String(LEASE_MS),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const spawnedAt = performance.now();
        let out = '';
        let err = '';
        let readyAt = 0;
        let killTimer: NodeJS.Timeout | undefined;
        let doneAt = 0;
        let killedAt: Moment | null = null;
        let exited = false;
        const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (!readyAt && out.includes('ready\n')) {
            readyAt = performance.now();
            if (killAfterMs !== null) {
              const atReady = effects(prefix);
              killTimer = setTimeout(() => {
                if (exited) return;
                const n = effects(prefix);
                killedAt = n === atReady ? 'before' : n === EFFECTS ? 'after' : 'during';
                child.kill('SIGKILL');
              }, killAfterMs);
            }
          }
          if (!doneAt && out.includes('\ndone ')) doneAt = performance.now();
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          exited = true;
          clearTimeout(guard);
          if (killTimer && killedAt === null && signal !== 'SIGKILL') {
            clearTimeout(killTimer);
            killedAt = 'exited';
          }
          if (signal !== 'SIGKILL' && code !== 0) {
            reject(new Error(`crash child exited with ${code}: ${err.slice(-2000)}`));
            return;
          }
          if (signal === 'SIGKILL' && killedAt === null) {
            reject(new Error(`crash child hung for 90 s: ${out.slice(-1000)} ${err.slice(-1000)}`));
            return;
          }
          const events = out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          resolve({
            killedAt,
            startToReadyMs: readyAt ? readyAt - spawnedAt : null,
            readyToDoneMs: readyAt && doneAt ? doneAt - readyAt : null,
            events,
          });
        });
      });
    }

    it(`every message arrives exactly once over ${TRIALS} randomized trials of kills and restarts`, {
      timeout: 600_000,
    }, async () => {
      const random = seeded(SEED);
      const started = performance.now();

      // Calibration: an undisturbed run says how long delivering a batch takes here, so kill
      // delays can span before, during and after the sends.
      // The first run pays for cold caches; the second is the one to go by.
      let calibration: RunResult | undefined;
      for (const name of ['crash-warmup0', 'crash-warmup1']) {
        await enqueue(db.sql, batch(name).messages, { kind: 'report', now: new Date() });
        calibration = await runChild(name, null);
      }
      const deliveryMs = calibration!.readyToDoneMs ?? 1000;
      const maxDelayMs = Math.round(deliveryMs * 1.2);
      console.log(
        `crash test: seed ${SEED}, ${TRIALS} trials, lease ${LEASE_MS} ms; child start ${Math.round(calibration!.startToReadyMs ?? 0)} ms, an undisturbed batch took ${Math.round(deliveryMs)} ms: kill delays 0–${maxDelayMs} ms after "ready"`,
      );

      const moments: Record<Moment, number> = { before: 0, during: 0, after: 0, exited: 0 };
      let kills = 0;
      let runs = 0;
      let rawDuplicates = 0;
      let resumedClaims = 0;
      const duplicatesPerTrial: number[] = [];
      /** Retries, deaths and lost leases the children logged: none is expected, each is shown. */
      const trouble: Array<Record<string, unknown>> = [];

      for (let trial = 0; trial < TRIALS; trial++) {
        const prefix = `crash-t${trial}`;
        const { messages, slackKey, messageIds, fileNames } = batch(prefix);
        await enqueue(db.sql, messages, { kind: 'report', now: new Date() });

        let killsThisTrial = 0;
        for (let run = 0; ; run++) {
          const killAfter = killsThisTrial < MAX_KILLS ? Math.round(random() * maxDelayMs) : null;
          const r = await runChild(prefix, killAfter);
          runs++;
          resumedClaims += r.events.filter((e) => e.event === 'outbox.resumed').length;
          for (const e of r.events) {
            if (e.event !== 'outbox.resumed') trouble.push({ trial, run, ...e });
          }
          if (r.killedAt) moments[r.killedAt]++;
          if (r.killedAt && r.killedAt !== 'exited') {
            kills++;
            killsThisTrial++;
            console.log(
              `  trial ${trial} run ${run}: SIGKILL ${killAfter} ms after ready, ${r.killedAt} its sends (${effects(prefix)}/${EFFECTS} effects seen)`,
            );
            continue;
          }
          break;
        }

        // The ledger: everything sent.
        const states = await db.sql<{ state: string; n: number; errors: string | null }[]>`
        select state, count(*)::int as n, string_agg(distinct last_error, ' | ') as errors
        from pulsebot.outbox where key like ${`${prefix}:%`} group by state`;
        expect(
          states.map((r) => [r.state, r.n]),
          `${prefix}: ${JSON.stringify(states)} ${JSON.stringify(trouble.slice(-5))}`,
        ).toEqual([['sent', 1 + EMAILS]]);

        // Slack: the message once (by its metadata key), each file once, in its thread.
        const posted = slack.messages.filter((m) => m.metadata?.event_payload.pulsebot_key === slackKey);
        expect(posted, prefix).toHaveLength(1);
        const files = slack.files.filter((f) => f.filename.startsWith(prefix));
        expect(files.map((f) => f.filename).sort(), prefix).toEqual(fileNames);
        for (const f of files) expect(f.thread_ts, `${prefix} ${f.filename}`).toBe(posted[0]!.ts);
        const [slackRow] = await db.sql<
          { receipt: { externalId: string } }[]
        >`select receipt from pulsebot.outbox where key = ${slackKey}`;
        expect(slackRow!.receipt.externalId).toBe(`${posted[0]!.channel}:${posted[0]!.ts}`);

        // Email: every Message-ID arrived, complete; the mailbox view (one per Message-ID) has each exactly once.
        const received = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<${prefix}.`));
        const mailbox = new Map(received.map((m) => [m.parsed.messageId!, m]));
        expect([...mailbox.keys()].sort(), prefix).toEqual([...messageIds].sort());
        for (const m of received) {
          expect(m.parsed.attachments.map((a) => a.cid).sort(), m.parsed.messageId).toEqual([
            'cost@pulsebot',
            'requests@pulsebot',
          ]);
        }
        const duplicates = received.length - mailbox.size;
        // A duplicate needs a kill between an SMTP 250 and the commit of that row: at most the
        // sends in flight per kill.
        expect(duplicates, prefix).toBeLessThanOrEqual(killsThisTrial * CONCURRENCY);
        duplicatesPerTrial.push(duplicates);
        rawDuplicates += duplicates;
      }

      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `crash test: ${TRIALS} trials, ${runs} child runs, ${kills} kills (before the sends ${moments.before}, during ${moments.during}, after ${moments.after}; ` +
          `${moments.exited} runs finished before their kill), ${resumedClaims} resumed claims; ` +
          `Slack: every message and file exactly once; email: exactly once per Message-ID, ` +
          `${rawDuplicates} raw SMTP duplicates (same Message-ID) in ${duplicatesPerTrial.filter((d) => d > 0).length} trials; ` +
          `${smtpResets} SMTP sessions cut by kills; ${seconds} s`,
      );
      if (trouble.length > 0)
        console.log(
          `crash test: the children logged ${trouble.length} retries or lost leases:\n${trouble.map((t) => JSON.stringify(t)).join('\n')}`,
        );
      expect(smtpServerErrors).toEqual([]);
      // The schedule really covered the phases: kills before a child sent anything, in the middle,
      // and (for small trial counts this may not happen) after its last send but before its commit.
      expect(kills).toBeGreaterThanOrEqual(TRIALS / 2);
      expect(moments.before).toBeGreaterThan(0);
      expect(moments.during).toBeGreaterThan(0);
      expect(moments.after + moments.exited).toBeGreaterThan(0);
    });
  },
);
