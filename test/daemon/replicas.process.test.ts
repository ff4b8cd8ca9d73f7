import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { spawnDaemon, type DaemonProcess } from './daemon-process.js';

/**
 * Three `pulsebot run` processes against one PostgreSQL database: the refresh ticks every second
 * and a report every 4 seconds. Every tick must run on exactly one of them, and every message go
 * out once. Real processes, real timers: the figures vary with the machine, the invariants not.
 */

const RUN_FOR_MS = 10_000;

describe.skipIf(!process.env.TEST_DATABASE_URL)('replicas (three real daemons on PostgreSQL)', () => {
  let env: FreshEnvironment;
  let dir: string;
  let daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    env = await freshEnvironment('postgres');
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-replicas-'));
    writeFileSync(
      join(dir, 'pulsebot.yaml'),
      [
        'refresh:',
        '  schedule: "* * * * * *"',
        'reports:',
        '  daily:',
        '    period: day',
        '    schedule: "*/4 * * * * *"',
        '    sections: [kpis]',
        '    charts: []',
        '    routes:',
        '      slack: ["#ai-usage"]',
        '      email: ["team@example.com"]',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    await env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each (job, scheduled_for) runs exactly once; every message is sent once; SIGTERM stops all three with exit 0', async () => {
    const outbox = join(dir, 'outbox');
    daemons = [1, 2, 3].map(() =>
      spawnDaemon({
        ...env.env,
        PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
        PULSEBOT_OUTBOX_DIR: outbox,
        PULSEBOT_LOG_LEVEL: 'info',
      }),
    );
    const ports = await Promise.all(daemons.map((d) => d.port()));
    const instances = daemons.map((d) => String(d.records.find((r) => r.event === 'daemon.started')?.instance));
    expect(new Set(instances).size).toBe(3);

    await new Promise((r) => setTimeout(r, RUN_FOR_MS));
    const ready = await Promise.all(ports.map(async (p) => (await fetch(`http://127.0.0.1:${p}/readyz`)).status));

    for (const d of daemons) d.child.kill('SIGTERM');
    const codes = await Promise.all(daemons.map((d) => d.exited));
    expect(codes, daemons.map((d) => d.stderr()).join('\n')).toEqual([0, 0, 0]);
    expect(ready).toEqual([200, 200, 200]);
    for (const d of daemons) {
      expect(d.records.map((r) => r.event)).toEqual(expect.arrayContaining(['daemon.shutdown', 'daemon.stopped']));
      expect(d.records.filter((r) => r.level === 'error')).toEqual([]);
    }

    let db: Database | undefined;
    try {
      db = await env.open();
      const runs = await db.sql<
        { job: string; scheduled_for: Date; outcome: string | null; instance_id: string; late: boolean }[]
      >`
        select job, scheduled_for, outcome, instance_id, late from pulsebot.job_runs order by job, scheduled_for`;
      const refresh = runs.filter((r) => r.job === 'refresh');
      const report = runs.filter((r) => r.job === 'report:daily');

      // Every claimed tick finished (shutdown waited for them) and was run by one instance.
      expect(runs.every((r) => r.outcome === 'ok' && !r.late)).toBe(true);
      expect(new Set(runs.map((r) => `${r.job}@${r.scheduled_for.toISOString()}`)).size).toBe(runs.length);
      expect(refresh.length).toBeGreaterThanOrEqual(5);
      expect(report.length).toBeGreaterThanOrEqual(2);

      // The logs agree, independently of the ledger: each refresh tick finished in exactly one process.
      const finished = daemons.flatMap((d) =>
        d.records.filter((r) => r.event === 'job.finished' && r.job === 'refresh').map((r) => String(r.scheduledFor)),
      );
      expect(finished.sort()).toEqual(refresh.map((r) => r.scheduled_for.toISOString()).sort());
      // And so does the work itself: one fold per refresh run in refresh_log.
      const [folds] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from pulsebot.refresh_log where view_name = 'rollups'`;
      expect(folds!.n).toBe(refresh.length);

      // One message per destination for the one report period, each sent once.
      const outboxRows = await db.sql<
        { key: string; state: string; attempts: number }[]
      >`select key, state, attempts from pulsebot.outbox order by key`;
      const reportRows = outboxRows.filter((r) => r.key.startsWith('report:'));
      expect(reportRows.map((r) => [r.state, r.attempts])).toEqual([
        ['sent', 1],
        ['sent', 1],
      ]);
      // The alerts job runs on all three too (the dead-man rule may fire on this quiet database):
      // whatever it sent, it sent once — one episode per rule, every row sent on its first attempt.
      const alertRows = outboxRows.filter((r) => r.key.startsWith('alert:'));
      expect(
        outboxRows.every((r) => r.state === 'sent' && r.attempts === 1),
        JSON.stringify(outboxRows),
      ).toBe(true);
      const episodes = alertRows.map(
        (r) => `${r.key.split('|')[0]!}|${r.key.split('|')[1]!}:${r.key.split(':').slice(-2).join(':')}`,
      );
      expect(new Set(episodes).size).toBe(alertRows.length);
      expect(reportRows.length + alertRows.length).toBe(outboxRows.length);
      expect(readdirSync(outbox)).toHaveLength(outboxRows.length);

      const first = refresh[0]!.scheduled_for.getTime();
      const last = refresh[refresh.length - 1]!.scheduled_for.getTime();
      const byInstance = Object.fromEntries(instances.map((i) => [i, runs.filter((r) => r.instance_id === i).length]));
      console.info(
        `replicas: ${refresh.length} refresh ticks over ${(last - first) / 1000 + 1} s (${refresh.length} of ${(last - first) / 1000 + 1} seconds covered), ${report.length} report ticks, runs per instance ${JSON.stringify(Object.values(byInstance))}`,
      );
    } finally {
      await db?.close();
    }
  });
});
