import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { deliverDue } from '../../src/delivery/dispatch.js';
import { createEmailTransport } from '../../src/delivery/email-transport.js';
import { enqueue } from '../../src/delivery/outbox.js';
import { transportsFromEnv } from '../../src/delivery/transports.js';
import type { EmailPayload, SendContext } from '../../src/delivery/types.js';
import { deliveryChecks } from '../../src/doctor/delivery-checks.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { startSmtpAuthEcho, type SmtpAuthEcho } from '../fakes/smtp-auth-echo.js';
import { TARGETS, freshDatabase } from '../support/databases.js';
import { leakedSpellings } from '../support/secret-spellings.js';

/**
 * An SMTP server that repeats the client's AUTH line in its 535 reply, against the real
 * transport, doctor's SMTP check, and the outbox with its failure notice to Slack. Users of 1 to
 * 4 characters put the password at every byte offset (mod 3) of the AUTH PLAIN blob. Nothing
 * may carry the password in any spelling: not the error, not the stored last_error, not the
 * notice posted to Slack, not doctor's output.
 */

const PASSWORD = 'P4ssw0rd-SECRET';
const USERS = ['a', 'ab', 'abc', 'abcd'];
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const ctx: SendContext = {
  key: 'k',
  progress: {},
  checkpoint: async () => {},
  resumed: false,
  receiptOf: async () => null,
};

function message(to: string): EmailPayload {
  return {
    from: 'pulsebot <pulsebot@example.com>',
    to,
    subject: 'Daily AI usage',
    text: 'hi',
    html: '<p>hi</p>',
    messageId: `<echo.${to}@pulsebot>`,
    attachments: [],
  };
}

/** Every string an error could be printed or logged with: message, hint, cause chain, stack, server reply. */
function everythingSaid(e: unknown): string {
  const out: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const x = cur as Record<string, unknown>;
    out.push(String(x.message), String(x.hint), String(x.stack), String(x.response), String(x.command));
  }
  return out.join('\n');
}

async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe.each(TARGETS)('an SMTP server that echoes the login, on %s', (target) => {
  let db: Database;
  let echo: SmtpAuthEcho;
  let slack: FakeSlack;

  beforeAll(async () => {
    db = await freshDatabase(target);
    echo = await startSmtpAuthEcho({ methods: ['PLAIN'] });
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
    await echo?.close();
    await db?.close();
  });

  describe.each(USERS)('user %j', (user) => {
    const blob = b64(`\0${user}\0${PASSWORD}`);

    it('the transport: the error of a send and of a verify keeps the reply but none of the password', async () => {
      const transport = createEmailTransport({ url: echo.urlFor(user, PASSWORD), maxConnections: 1, maxMessages: 1 });
      try {
        const onSend = await thrown(() => transport.send(message('ana@example.com'), ctx));
        const onVerify = await thrown(() => transport.verify());
        // The server did echo the very AUTH PLAIN line the client sent.
        expect(echo.replies.at(-1)).toBe(`5.7.8 Authentication failed: AUTH PLAIN ${blob}`);
        for (const e of [onSend, onVerify]) {
          const said = everythingSaid(e);
          expect(leakedSpellings(said, user, PASSWORD)).toEqual([]);
          expect((e as Error).message).toContain('535 5.7.8 Authentication failed: AUTH PLAIN [redacted]');
        }
      } finally {
        await transport.close();
      }
    });

    it('the outbox: last_error, the failure notice queued and the one posted to Slack', async () => {
      const config = defaultConfig();
      const env = { SMTP_URL: echo.urlFor(user, PASSWORD), SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url };
      const transports = transportsFromEnv(env, config);
      const key = `report:echo:${user}`;
      const events: Array<Record<string, unknown>> = [];
      const postedBefore = slack.messages.length;
      try {
        await enqueue(db.sql, [{ channel: 'email', key, payload: message(`${user}@example.com`) }], {
          kind: 'report',
          now: new Date(),
        });
        await deliverDue({
          sql: db.sql,
          transports: { slack: transports.slack, email: transports.email },
          now: () => new Date(),
          config: {
            maxAttempts: 1,
            backoffBaseMs: 1_000,
            backoffMaxMs: 1_000,
            failureRoutes: { slack: ['#alerts'], email: [] },
          },
          log: (e) => events.push(e),
        });
      } finally {
        await transports.close();
      }

      const [row] = await db.sql<{ state: string; last_error: string | null }[]>`
        select state, last_error from pulsebot.outbox where key = ${key}`;
      expect(row?.state).toBe('dead');
      expect(row?.last_error).toContain('AUTH PLAIN [redacted]');
      const notices = await db.sql<{ payload: unknown; last_error: string | null }[]>`
        select payload, last_error from pulsebot.outbox where kind = 'failure_notice' and key like ${`%${key}%`}`;
      expect(notices).toHaveLength(1);
      const posted = slack.messages.slice(postedBefore);
      expect(posted).toHaveLength(1);
      expect(JSON.stringify(posted[0])).toContain('could not deliver');

      const everything = [
        row!.last_error,
        JSON.stringify(notices),
        JSON.stringify(posted),
        JSON.stringify(slack.calls),
        JSON.stringify(events),
      ].join('\n');
      expect(leakedSpellings(everything, user, PASSWORD)).toEqual([]);
      expect(everything).not.toContain(blob);
    });

    it("doctor's SMTP check and its list of failed deliveries", async () => {
      const config = defaultConfig();
      const env = { SMTP_URL: echo.urlFor(user, PASSWORD) };
      const transports = transportsFromEnv(env, config);
      try {
        const results = await deliveryChecks({ sql: db.sql, config, env, now: new Date(), transports });
        const smtp = results.find((r) => r.name === 'smtp');
        expect(smtp).toMatchObject({ status: 'fail' });
        expect(smtp?.detail).toContain('AUTH PLAIN [redacted]');
        expect(results.some((r) => r.name === 'delivery failed' && r.detail.includes(`report:echo:${user}`))).toBe(
          true,
        );
        expect(leakedSpellings(JSON.stringify(results), user, PASSWORD)).toEqual([]);
      } finally {
        await transports.close();
      }
    });
  });

  it('AUTH LOGIN: the user and password lines echoed after the command are redacted too', async () => {
    const login = await startSmtpAuthEcho({ methods: ['LOGIN'] });
    const transport = createEmailTransport({ url: login.urlFor('ab', PASSWORD), maxConnections: 1, maxMessages: 1 });
    try {
      const e = await thrown(() => transport.verify());
      expect(login.replies.at(-1)).toBe(`5.7.8 Authentication failed: AUTH LOGIN ${b64('ab')} ${b64(PASSWORD)}`);
      expect(leakedSpellings(everythingSaid(e), 'ab', PASSWORD)).toEqual([]);
      expect((e as Error).message).toContain('AUTH LOGIN [redacted]');
    } finally {
      await transport.close();
      await login.close();
    }
  });
});
