import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A real SMTP peer for tests: smtp-server in this process on 127.0.0.1, every accepted message
 * kept raw and parsed with mailparser. No TLS (STARTTLS is not offered), so it is only reachable
 * through pulsebot's loopback exception. Faults are injected per recipient, the way a real
 * server defers (4xx) or refuses (5xx) a RCPT TO.
 */
export interface SinkMessage {
  /** The message exactly as received (headers and MIME body). */
  raw: Buffer;
  /** Parsed with `skipImageLinks`, so cid: references in the HTML stay as they were sent. */
  parsed: ParsedMail;
  envelope: { mailFrom: string | null; rcptTo: string[] };
}

export interface SmtpSinkOptions {
  /** Require these credentials (AUTH PLAIN/LOGIN, allowed without TLS here); without, auth is optional. */
  auth?: { user: string; pass: string };
  /** The text of the 535 reply to a failed login; given what the client sent, so a test can play
   *  a careless server that echoes credentials back. */
  authFailureText?: (user: string, pass: string) => string;
  /** false: keep the raw message only (benchmarks: parsing 20 emails with their images in the
   *  measuring process would be counted as pulsebot's time). Default true. */
  parse?: boolean;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** smtp://[user:pass@]127.0.0.1:PORT */
  url: string;
  messages: SinkMessage[];
  /** The next `times` RCPT TO commands (default 1) get `code message` instead of 250. */
  failNextRcpt(code: number, message: string, times?: number): void;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let rcptFault: { code: number; message: string; times: number } | null = null;

  const server = new SMTPServer({
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    hideDSN: false,
    logger: false,
    // Pooled clients keep connections open; close() must not wait 30 s for them.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return callback(null, { user: auth.username });
      const err: SMTPServerError = new Error(
        opts.authFailureText?.(auth.username ?? '', auth.password ?? '') ?? 'Authentication credentials invalid',
      );
      err.responseCode = 535;
      callback(err);
    },
    onRcptTo(_address, _session, callback) {
      if (rcptFault && rcptFault.times > 0) {
        rcptFault.times--;
        const err: SMTPServerError = new Error(rcptFault.message);
        err.responseCode = rcptFault.code;
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        // Parsed before the 250 reply: once the client's send resolves, the message is here.
        (opts.parse === false ? Promise.resolve({} as ParsedMail) : simpleParser(raw, { skipImageLinks: true })).then(
          (parsed) => {
            const from = session.envelope.mailFrom;
            messages.push({
              raw,
              parsed,
              envelope: { mailFrom: from ? from.address : null, rcptTo: session.envelope.rcptTo.map((r) => r.address) },
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client killed mid-session (crash tests) resets its connection; without a listener that
  // 'error' event would be an uncaught exception in the test process.
  const errors: Error[] = [];
  server.on('error', (error: Error) => errors.push(error));
  const { port } = server.server.address() as AddressInfo;
  const host = '127.0.0.1';
  const credentials = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';
  return {
    host,
    port,
    url: `smtp://${credentials}${host}:${port}`,
    messages,
    failNextRcpt(code, message, times = 1) {
      rcptFault = { code, message, times };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
