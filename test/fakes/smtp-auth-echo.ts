import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A careless SMTP server: every login fails with a 535 whose text repeats the client's AUTH
 * exchange byte for byte, as some real servers do. smtp-server in this process on 127.0.0.1, no
 * TLS (reachable through pulsebot's loopback exception); what each client sent is read off the
 * socket, so the echo is the real AUTH line, not one rebuilt from the decoded credentials.
 */
export interface SmtpAuthEcho {
  port: number;
  /** smtp://user:pass@127.0.0.1:PORT, credentials %-encoded. */
  urlFor(user: string, pass: string): string;
  /** The 535 texts sent so far. */
  replies: string[];
  close(): Promise<void>;
}

export async function startSmtpAuthEcho(opts: { methods?: Array<'PLAIN' | 'LOGIN'> } = {}): Promise<SmtpAuthEcho> {
  const replies: string[] = [];
  /** Client bytes per remote port: one connection each. */
  const received = new Map<number, string>();
  const server = new SMTPServer({
    authMethods: opts.methods ?? ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onAuth(_auth, session, callback) {
      // smtp-server reads the socket before this listener's turn comes: wait for it.
      setImmediate(() => {
        const lines = (received.get(session.remotePort) ?? '').split('\r\n');
        const start = lines.findIndex((l) => /^AUTH /i.test(l));
        // The AUTH command and the client's answers to the server's 334 prompts (AUTH LOGIN), on
        // one line: an SMTP reply cannot carry a bare line break.
        const exchange = lines.slice(start).filter((l) => l !== '');
        const text = `5.7.8 Authentication failed: ${exchange.join(' ')}`;
        replies.push(text);
        const err: SMTPServerError = new Error(text);
        err.responseCode = 535;
        callback(err);
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    received.set(port, '');
    socket.on('data', (d: Buffer) => received.set(port, (received.get(port) ?? '') + d.toString('latin1')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    urlFor: (user, pass) => `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    replies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
