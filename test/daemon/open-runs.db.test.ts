import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/config/env.js';
import { openDatabase, type Database } from '../../src/db/connect.js';
import { createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { runTick, type RunnerDeps } from '../../src/daemon/job-runner.js';
import { claimRun, jobRunsOf } from '../../src/daemon/job-runs.js';
import type { JobSpec } from '../../src/daemon/jobs.js';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import type { Sql } from '../../src/db/connect.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/**
 * No run stays without an outcome: one whose finish the database was not there to store gets it
 * at the job's next tick, and one left open by a daemon that went away is closed as failed.
 */

/** A TCP proxy in front of the database that can refuse everything for a while (the server is gone, then back). */
interface Outage {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function outageProxy(target: { host: string; port: number }): Promise<Outage> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await listen();
  return { port, cut: stop, restore: listen, close: stop };
}

function job(name: string, run: JobSpec['run']): JobSpec {
  return { name, schedule: '* * * * *', timezone: 'UTC', catchUp: false, quiet: false, run };
}

describe.each(TARGETS)('runs left without an outcome, on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function deps(sql: Sql, instanceId: string, clock: { t: number }) {
    const lines: string[] = [];
    const log = await createLogger({
      level: 'debug',
      pretty: false,
      destination: lineDestination((l) => lines.push(l)),
      base: { instance: instanceId },
    });
    const now = () => new Date(clock.t);
    const metrics = createDaemonMetrics({ startedAt: now(), now, memory: () => process.memoryUsage() });
    const d: RunnerDeps = { sql, instanceId, log, metrics, now };
    return { d, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('the database goes away during a run: its outcome is stored by the next tick once the database is back', async () => {
    const options = db.sql.options as unknown as { host: string[]; port: number[] };
    const proxy = await outageProxy({ host: options.host[0]!, port: options.port[0]! });
    // The same database through the proxy, opened as pulsebot opens a DATABASE_URL.
    const url = new URL(db.target.kind === 'postgres' ? db.target.url : 'postgres://postgres@127.0.0.1/postgres');
    url.host = `127.0.0.1:${proxy.port}`;
    const away = await openDatabase(parseDatabaseUrl(url.toString(), 'TEST_DATABASE_URL'), {
      poolMax: 1,
      connectTimeoutSeconds: 5,
      statementTimeoutSeconds: 30,
    });
    const clock = { t: Date.parse('2026-11-02T10:00:00.200Z') };
    const { d, records } = await deps(away.sql, 'host-a:1:aaa', clock);
    try {
      let outageDuringRun = true;
      const refresh = job('refresh', async () => {
        clock.t += 1_000;
        if (outageDuringRun) await proxy.cut();
        return { folded: 3 };
      });

      // The run ends while the server is gone: its finish cannot be stored.
      expect(await runTick(d, refresh, { scheduledFor: new Date('2026-11-02T10:00:00Z'), late: false })).toBe('ok');
      expect(records().find((r) => r.event === 'job.record_failed')).toMatchObject({ level: 'warn', job: 'refresh' });
      // Still away at the next tick: not claimed, nothing run.
      clock.t = Date.parse('2026-11-02T10:01:00.100Z');
      expect(await runTick(d, refresh, { scheduledFor: new Date('2026-11-02T10:01:00Z'), late: false })).toBe('failed');
      expect((await jobRunsOf(db.sql, 'refresh')).map((r) => r.outcome)).toEqual([null]);

      await proxy.restore();
      outageDuringRun = false;
      clock.t = Date.parse('2026-11-02T10:02:00.100Z');
      // The same daemon's next tick of the job (the job object it keeps) stores the earlier outcome.
      expect(await runTick(d, refresh, { scheduledFor: new Date('2026-11-02T10:02:00Z'), late: false })).toBe('ok');

      const rows = await jobRunsOf(db.sql, 'refresh');
      expect(
        rows.map((r) => ({
          scheduledFor: r.scheduledFor.toISOString(),
          outcome: r.outcome,
          finishedAt: r.finishedAt?.toISOString(),
        })),
      ).toEqual([
        { scheduledFor: '2026-11-02T10:00:00.000Z', outcome: 'ok', finishedAt: '2026-11-02T10:00:01.200Z' },
        { scheduledFor: '2026-11-02T10:02:00.000Z', outcome: 'ok', finishedAt: '2026-11-02T10:02:01.100Z' },
      ]);
      expect(records().find((r) => r.event === 'job.recorded_late')).toMatchObject({
        level: 'info',
        job: 'refresh',
        outcome: 'ok',
        finishedAt: '2026-11-02T10:00:01.200Z',
      });
    } finally {
      await away.close();
      await proxy.close().catch(() => {});
    }
  });

  it('a run left open by a daemon that went away is closed as failed an hour on, by any daemon, and says why', async () => {
    const T = Date.parse('2026-11-03T12:00:00Z');
    const claim = (instanceId: string, at: number) =>
      claimRun(db.sql, {
        job: 'report:daily',
        scheduledFor: new Date(at),
        startedAt: new Date(at),
        instanceId,
        late: false,
      });
    await claim('gone-host:7:dead', T - 3 * 3_600_000);
    await claim('other-host:8:live', T - 10 * 60_000);

    const clock = { t: T + 150 };
    const { d, records } = await deps(db.sql, 'host-a:1:aaa', clock);
    const report = job('report:daily', async () => {});
    expect(await runTick(d, report, { scheduledFor: new Date(T), late: false })).toBe('ok');

    const rows = await jobRunsOf(db.sql, 'report:daily');
    expect(rows.map((r) => [r.instanceId, r.outcome, r.error, r.finishedAt?.toISOString() ?? null])).toEqual([
      [
        'gone-host:7:dead',
        'failed',
        'abandoned: no outcome 60 min after it started; its daemon (gone-host:7:dead) stopped, hung or lost the database mid-run',
        '2026-11-03T12:00:00.150Z',
      ],
      // Ten minutes old: it may still be running on its daemon.
      ['other-host:8:live', null, null, null],
      ['host-a:1:aaa', 'ok', null, '2026-11-03T12:00:00.150Z'],
    ]);
    expect(records().find((r) => r.event === 'job.abandoned')).toMatchObject({
      level: 'warn',
      job: 'report:daily',
      runInstance: 'gone-host:7:dead',
      runScheduledFor: '2026-11-03T09:00:00.000Z',
    });

    // The live daemon's run turns stale later; the next look (every ten minutes) closes it.
    clock.t = T + 55 * 60_000;
    expect(await runTick(d, report, { scheduledFor: new Date(T + 55 * 60_000), late: false })).toBe('ok');
    expect((await jobRunsOf(db.sql, 'report:daily')).find((r) => r.instanceId === 'other-host:8:live')?.outcome).toBe(
      'failed',
    );
  });
});
