import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import {
  createEmailTransport,
  deliveryErrorFrom,
  isRetryableSmtpError,
  parseSmtpUrl,
  transportOptions,
} from '../../src/delivery/email-transport.js';
import { DeliveryError, type EmailPayload, type SendContext } from '../../src/delivery/types.js';
import { PulsebotError } from '../../src/errors.js';
import { emailFor, emailMessageId } from '../../src/messages/email-payload.js';
import { buildEmailDigest } from '../../src/report/email-digest.js';
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js';
import { digestModelFixture } from '../fixtures/digest-model.js';

const ctx: SendContext = {
  key: 'k',
  progress: {},
  checkpoint: async () => {},
  resumed: false,
  receiptOf: async () => null,
};
const PASSWORD = 'Sup3r-S3cret!pw';
const WRONG_PASSWORD = 'Wr0ng-S3cret!pw';

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** Every string an error could be logged with: message, hint, cause chain, stack. */
function everythingSaid(e: unknown): string {
  const out: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const x = cur as Record<string, unknown>;
    out.push(String(x.message), String(x.hint), String(x.stack), String(x.response));
  }
  return out.join('\n');
}

describe('parseSmtpUrl', () => {
  it('reads scheme, host, port and credentials, with the default port of each scheme', () => {
    expect(parseSmtpUrl('smtp://bot:p%40ss%3Aw0rd@mail.example.com')).toEqual({
      secure: false,
      host: 'mail.example.com',
      port: 587,
      auth: { user: 'bot', pass: 'p@ss:w0rd' },
      loopback: false,
    });
    expect(parseSmtpUrl('smtps://bot:pw@mail.example.com')).toMatchObject({ secure: true, port: 465 });
    expect(parseSmtpUrl('smtp://127.0.0.1:2525')).toEqual({
      secure: false,
      host: '127.0.0.1',
      port: 2525,
      auth: null,
      loopback: true,
    });
    expect(parseSmtpUrl('smtp://[::1]:25')).toMatchObject({ host: '::1', loopback: true });
    expect(parseSmtpUrl('smtp://localhost')).toMatchObject({ loopback: true });
  });

  it('rejects what it cannot use with ENV_INVALID, without repeating the password', () => {
    const bad = [
      `smtp://bot:${PASSWORD}@`,
      `http://bot:${PASSWORD}@mail.example.com`,
      `bot:${PASSWORD}@mail.example.com`,
      `smtp://bot:${PASSWORD}@mail.example.com/path`,
      `smtp://bot:${PASSWORD}@mail.example.com?pool=true`,
      `smtp://:${PASSWORD}@mail.example.com`,
      'smtp://bot@mail.example.com',
      `smtp://bot:${PASSWORD}%zz@mail.example.com`,
      `smtp://bot:${PASSWORD}@mail example.com`,
    ];
    for (const url of bad) {
      let error: unknown;
      try {
        parseSmtpUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(PulsebotError);
      expect((error as PulsebotError).code).toBe('ENV_INVALID');
      expect(everythingSaid(error)).not.toContain(PASSWORD);
    }
  });
});

describe('transportOptions: TLS policy', () => {
  it('requires STARTTLS for smtp:// to a host on the network, with no plain-text fallback', () => {
    const o = transportOptions('smtp://bot:pw@mail.example.com:587', { maxConnections: 4, maxMessages: 50 });
    expect(o).toMatchObject({
      pool: true,
      host: 'mail.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      opportunisticTLS: false,
      maxConnections: 4,
      maxMessages: 50,
    });
    expect(o.ignoreTLS).not.toBe(true);
  });
  it('uses implicit TLS for smtps://', () => {
    expect(transportOptions('smtps://bot:pw@mail.example.com')).toMatchObject({ secure: true, port: 465 });
  });
  it('does not require TLS on the loopback interface', () => {
    for (const url of ['smtp://127.0.0.1:2525', 'smtp://localhost:25', 'smtp://[::1]:25']) {
      expect(transportOptions(url).requireTLS, url).toBe(false);
    }
  });
  it('never lets nodemailer read files or fetch URLs for attachments', () => {
    expect(transportOptions('smtp://127.0.0.1:25')).toMatchObject({ disableFileAccess: true, disableUrlAccess: true });
  });
});

describe('isRetryableSmtpError', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 451, permanent: false }, true],
    [{ code: 'EENVELOPE', responseCode: 550, permanent: true }, false],
    [{ code: 'EENVELOPE', responseCode: 503, permanent: false }, true],
    [{ code: 'EMESSAGE', responseCode: 552 }, false],
    [{ code: 'EAUTH', responseCode: 535, permanent: true }, false],
    [{ code: 'EAUTH', responseCode: 454, permanent: false }, true],
    [{ code: 'EAUTH' }, false],
    [{ code: 'ECONNECTION' }, true],
    [{ code: 'ETIMEDOUT' }, true],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, true],
    [{ code: 'ETLS' }, false],
  ])('%j → retryable %s', (error, retryable) => {
    expect(isRetryableSmtpError(error)).toBe(retryable);
  });
});

describe('createEmailTransport against a real SMTP server', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    // A careless server that repeats the credentials it got in its 535 reply.
    sink = await startSmtpSink({
      auth: { user: 'pulsebot', pass: PASSWORD },
      authFailureText: (user, pass) => `Authentication failed for ${user}:${pass}`,
    });
  });
  afterAll(async () => {
    await sink.close();
  });

  it('delivers the digest: subject, HTML, text part, deterministic Message-ID, inline charts with their bytes', async () => {
    const model = await digestModelFixture();
    const digest = await buildEmailDigest(model, { reportTitle: 'Daily AI usage digest' });
    const messageId = emailMessageId({ report: 'daily', period: '2026-11-24', recipient: 'Team@Example.com' });
    const payload = emailFor(digest, {
      from: 'pulsebot <bot@example.com>',
      to: 'team@example.com',
      replyTo: 'ai-team@example.com',
      messageId,
    });
    const transport = createEmailTransport({ url: sink.url, maxConnections: 1, maxMessages: 10 });
    try {
      const before = sink.messages.length;
      const receipt = await transport.send(payload, ctx);
      expect(receipt.externalId).toBe(messageId);
      expect(receipt.detail).toMatchObject({ accepted: ['team@example.com'], rejected: [] });
      expect(String(receipt.detail?.response)).toMatch(/^250/);

      expect(sink.messages).toHaveLength(before + 1);
      const { parsed, envelope } = sink.messages.at(-1)!;
      expect(envelope).toEqual({ mailFrom: 'bot@example.com', rcptTo: ['team@example.com'] });
      expect(parsed.messageId).toBe(messageId);
      expect(parsed.subject).toBe(digest.subject);
      expect(parsed.subject).toBe('✅ All normal · $67.90 · 97.8% ok · Tue 24 Nov');
      expect(parsed.html).toContain('$67.90');
      expect(parsed.text).toContain('$67.90');
      expect(parsed.text?.trim()).toBe(digest.text.trim());
      expect(parsed.replyTo?.text).toBe('ai-team@example.com');
      expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');

      const cids = [...String(parsed.html).matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]!);
      // The top-models chart is left out beside the models table.
      expect(cids.sort()).toEqual(['daily_cost_by_provider@pulsebot']);
      for (const [i, chart] of model.charts.entries()) {
        if (chart.id === 'top_models_by_cost') continue;
        const cid = `${chart.id}@pulsebot`;
        const attachment = parsed.attachments.filter((a) => a.cid === cid);
        expect(attachment, cid).toHaveLength(1);
        expect(attachment[0]!.contentType).toBe('image/png');
        expect(attachment[0]!.contentDisposition).toBe('inline');
        expect(Buffer.compare(attachment[0]!.content, model.charts[i]!.png)).toBe(0);
      }
    } finally {
      await transport.close();
    }
  });

  const small: EmailPayload = {
    from: 'bot@example.com',
    to: 'x@example.com',
    subject: 's',
    html: '<p>h</p>',
    text: 't',
    messageId: '<m@pulsebot>',
    attachments: [],
  };

  it('turns a 4xx on RCPT TO into a retryable DeliveryError, a 5xx into a final one', async () => {
    const transport = createEmailTransport({ url: sink.url, maxConnections: 1, maxMessages: 10 });
    try {
      const before = sink.messages.length;
      sink.failNextRcpt(451, 'Mailbox busy, try again later');
      const deferred = await thrown(() => transport.send(small, ctx));
      expect(deferred).toBeInstanceOf(DeliveryError);
      expect((deferred as DeliveryError).retryable).toBe(true);
      expect(deferred.message).toContain('451');
      expect(deferred.message).toContain('x@example.com');

      sink.failNextRcpt(550, 'No such user here');
      const refused = await thrown(() => transport.send(small, ctx));
      expect(refused).toBeInstanceOf(DeliveryError);
      expect((refused as DeliveryError).retryable).toBe(false);
      expect(refused.message).toContain('550');
      expect(sink.messages).toHaveLength(before);

      // The connection is still usable afterwards.
      await transport.send(small, ctx);
      expect(sink.messages).toHaveLength(before + 1);
    } finally {
      await transport.close();
    }
  });

  it('with TLS required (any host off the loopback), a server without STARTTLS gets nothing in clear text', async () => {
    // The options built for a remote host, pointed at the local server, which offers no STARTTLS.
    const options = {
      ...transportOptions('smtp://pulsebot:pw@mail.example.com:587'),
      host: '127.0.0.1',
      port: sink.port,
    };
    const transporter = nodemailer.createTransport(options);
    const before = sink.messages.length;
    try {
      const error = deliveryErrorFrom(
        await thrown(() => transporter.sendMail({ from: 'bot@example.com', to: 'x@example.com', text: 't' })),
        'test',
        'sending',
      );
      expect(error.message).toContain('ETLS');
      expect(error.retryable).toBe(false);
      expect(sink.messages).toHaveLength(before);
    } finally {
      transporter.close();
    }
  });

  it('verifies the connection and login', async () => {
    const good = createEmailTransport({ url: sink.url, maxConnections: 1, maxMessages: 10 });
    await expect(good.verify()).resolves.toBeUndefined();
    await good.close();
  });

  it('keeps the password out of every error: wrong login (final) and server down (retryable)', async () => {
    const wrongUrl = `smtp://pulsebot:${encodeURIComponent(WRONG_PASSWORD)}@127.0.0.1:${sink.port}`;
    const wrong = createEmailTransport({ url: wrongUrl, maxConnections: 1, maxMessages: 10 });
    try {
      const onSend = await thrown(() => wrong.send(small, ctx));
      expect(onSend).toBeInstanceOf(DeliveryError);
      expect((onSend as DeliveryError).retryable).toBe(false);
      expect(onSend.message).toContain('EAUTH');
      // The server's reply is kept, with the password it echoed taken out.
      expect(onSend.message).toContain('535 Authentication failed for pulsebot:[redacted]');
      const onVerify = await thrown(() => wrong.verify());
      for (const e of [onSend, onVerify]) {
        const said = everythingSaid(e);
        expect(said).not.toContain(WRONG_PASSWORD);
        expect(said).not.toContain(encodeURIComponent(WRONG_PASSWORD));
        expect(said).not.toContain(wrongUrl);
      }
    } finally {
      await wrong.close();
    }

    // A port nobody listens on: take a free one and release it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const downUrl = `smtp://pulsebot:${encodeURIComponent(PASSWORD)}@127.0.0.1:${freePort}`;
    const down = createEmailTransport({ url: downUrl, maxConnections: 1, maxMessages: 10 });
    try {
      const error = await thrown(() => down.send(small, ctx));
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).retryable).toBe(true);
      expect(error.message).toContain('ECONNREFUSED');
      expect(everythingSaid(error)).not.toContain(PASSWORD);
      expect(everythingSaid(error)).not.toContain(downUrl);
    } finally {
      await down.close();
    }
  });
});
