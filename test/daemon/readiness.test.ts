import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/connect.js';
import { probeDatabase } from '../../src/daemon/readiness.js';

/**
 * /readyz's database probe against servers that misbehave in the two ways that look alike from
 * a pool: one that refuses connections, one that accepts them and never answers.
 */

const pools: Sql[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end({ timeout: 0 })));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A port nobody listens on: taken from the system, then released. */
async function refusingPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function pool(port: number, options: { backoff?: (attempt: number) => number } = {}): Sql {
  const sql = postgres({ host: '127.0.0.1', port, max: 1, connect_timeout: 30, ...options }) as unknown as Sql;
  pools.push(sql);
  return sql;
}

describe('probeDatabase', () => {
  it('a server that refuses connections is reported as refusing, also once the pool waits between attempts', async () => {
    const port = await refusingPort();
    // A pool that has failed to connect waits before its next attempt (postgres.js backs off up to
    // 20 s after repeated failures); a fixed 5 s wait makes that state certain after one failure.
    const sql = pool(port, { backoff: () => 5 });
    const first = await probeDatabase(sql, 500);
    expect(first).toEqual({ ok: false, reason: `select 1 failed: connect ECONNREFUSED 127.0.0.1:${port}` });
    // The next query waits out the backoff, longer than the probe's bound: the cause comes from a
    // connection of the probe's own.
    const second = await probeDatabase(sql, 500);
    expect(second).toEqual({
      ok: false,
      reason: `cannot connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (no answer to select 1 within 500 ms)`,
    });
  });

  it('a server that accepts connections and never answers is reported as silent', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const result = await probeDatabase(pool(port), 300);
      expect(result).toEqual({
        ok: false,
        reason: `no answer to select 1 within 300 ms (127.0.0.1:${port} accepts connections)`,
      });
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
