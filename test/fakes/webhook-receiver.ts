import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local webhook receiver for tests, written the way a user's receiver would be (its own HMAC
 * code, not pulsebot's): it reads the raw body, checks X-Pulsebot-Signature against an HMAC-SHA256
 * of those bytes with the secret it was given, answers 401 to a bad or missing signature and 204
 * to a good one, and records both. It can answer other statuses on demand.
 */

export interface ReceivedWebhook {
  path: string;
  raw: string;
  body: Record<string, unknown>;
  signature: string | undefined;
}

export interface FakeWebhookReceiver {
  /** 'http://127.0.0.1:PORT/hooks/pulsebot'. */
  url: string;
  /** Bodies whose signature checked out, in order. */
  received: ReceivedWebhook[];
  /** Requests refused for their signature. */
  rejected: ReceivedWebhook[];
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

function verify(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookReceiver(secret: string): Promise<FakeWebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const rejected: ReceivedWebhook[] = [];
  const faults: Array<{ status: number; headers: Record<string, string> }> = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const header = req.headers['x-pulsebot-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const fault = faults.shift();
    if (fault) {
      res.writeHead(fault.status, fault.headers);
      res.end('try later');
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      // Recorded with an empty body; the signature decides the answer.
    }
    const entry = { path: req.url ?? '', raw: raw.toString('utf8'), body, signature };
    if (req.method !== 'POST' || !verify(raw, signature, secret)) {
      rejected.push(entry);
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('bad signature');
      return;
    }
    received.push(entry);
    res.writeHead(204);
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/pulsebot`,
    received,
    rejected,
    failNext(status, times = 1, headers = {}) {
      for (let i = 0; i < times; i++) faults.push({ status, headers });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
