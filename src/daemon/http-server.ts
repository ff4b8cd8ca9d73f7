import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PulsebotError, messageOf } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics-registry.js';
import type { Readiness } from './readiness.js';

/**
 * /healthz, /readyz and /metrics on PULSEBOT_PORT. Read-only, no body parsing, nothing secret:
 * the answers name jobs and reasons, never configuration or credentials.
 */

export interface Endpoints {
  /** Alive and not shutting down. */
  alive(): boolean;
  ready(): Promise<Readiness>;
  metrics(): string;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(
  port: number,
  endpoints: Endpoints,
  onError: (error: unknown) => void,
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    handle(req, res, endpoints).catch((error: unknown) => {
      onError(error);
      send(res, 500, 'application/json', JSON.stringify({ status: 'error', reason: messageOf(error) }));
    });
  });
  // Probes are short; a stuck client must not hold the shutdown.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new PulsebotError(
          'ENV_INVALID',
          `cannot listen on PULSEBOT_PORT ${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : messageOf(error)}`,
          { cause: error },
        ),
      );
    });
    server.listen(port, () => resolve());
  });
  server.on('error', onError);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, endpoints: Endpoints): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'application/json', JSON.stringify({ status: 'error', reason: 'method not allowed' }));
  }
  switch (path) {
    case '/healthz': {
      const alive = endpoints.alive();
      return send(
        res,
        alive ? 200 : 503,
        'application/json',
        JSON.stringify({ status: alive ? 'ok' : 'shutting down' }),
      );
    }
    case '/readyz': {
      const r = await endpoints.ready();
      return send(
        res,
        r.ready ? 200 : 503,
        'application/json',
        JSON.stringify({
          status: r.ready ? 'ready' : 'not ready',
          reasons: r.reasons,
          database: r.database,
          staleJobs: r.staleJobs,
        }),
      );
    }
    case '/metrics':
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, endpoints.metrics());
    default:
      return send(
        res,
        404,
        'application/json',
        JSON.stringify({ status: 'error', reason: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] }),
      );
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': contentType.includes('charset') ? contentType : `${contentType}; charset=utf-8`,
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
