import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { spawnDaemon, type DaemonProcess } from './daemon-process.js';

/**
 * SIGTERM while a delivery is in flight: a real `pulsebot run` posting a report to the local
 * Slack server, whose answer is held back for a few seconds. The daemon must stop ticking, let
 * the send finish, record it as sent, and only then exit 0.
 */

const SLACK_DELAY_MS = 4_000;

describe('pulsebot run on the embedded database', () => {
  let env: FreshEnvironment;
  let daemon: DaemonProcess | undefined;
  beforeAll(async () => {
    env = await freshEnvironment('pglite');
  });
  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    await env?.cleanup();
  });

  it('starts, answers /healthz and /readyz, runs a tick, and exits 0 on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsebot-embedded-'));
    try {
      writeFileSync(join(dir, 'pulsebot.yaml'), 'refresh:\n  schedule: "*/2 * * * * *"\n');
      daemon = spawnDaemon({
        ...env.env,
        PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
        PULSEBOT_OUTBOX_DIR: join(dir, 'outbox'),
      });
      const port = await daemon.port();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      await daemon.waitFor('a refresh run', (r) => r.event === 'job.finished' && r.job === 'refresh');
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      daemon.child.kill('SIGINT');
      expect(await daemon.exited, daemon.stderr()).toBe(0);
      expect(daemon.records.find((r) => r.event === 'daemon.shutdown')).toMatchObject({ signal: 'SIGINT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'SIGTERM during a delivery (real daemon, PostgreSQL, local Slack)',
  () => {
    let env: FreshEnvironment;
    let slack: FakeSlack;
    let dir: string;
    let daemon: DaemonProcess | undefined;

    beforeAll(async () => {
      env = await freshEnvironment('postgres');
      slack = await startFakeSlack();
      dir = mkdtempSync(join(tmpdir(), 'pulsebot-sigterm-'));
      writeFileSync(
        join(dir, 'pulsebot.yaml'),
        [
          'slack:',
          '  upload_charts: false',
          // This test is about a report's delivery: keep the alerts job (the dead-man rule fires on a
          // quiet database, into channels this Slack does not have) out of its log.
          'alerts:',
          '  evaluate_schedule: "0 0 1 1 *"',
          'reports:',
          '  daily:',
          '    period: day',
          '    schedule: "*/2 * * * * *"',
          '    sections: [kpis]',
          '    charts: []',
          '    routes:',
          '      slack: ["#ai-usage"]',
          '      email: []',
          '',
        ].join('\n'),
      );
    });

    afterAll(async () => {
      if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      await daemon?.exited;
      await slack?.close();
      await env?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the in-flight send completes and is recorded as sent before the process exits 0', async () => {
      slack.failNext('chat.postMessage', { delayMs: SLACK_DELAY_MS });
      daemon = spawnDaemon({
        ...env.env,
        PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
        PULSEBOT_OUTBOX_DIR: join(dir, 'outbox'),
        SLACK_BOT_TOKEN: slack.token,
        SLACK_API_URL: slack.url,
        PULSEBOT_LOG_LEVEL: 'debug',
      });
      await daemon.port();

      // The post has reached Slack; its answer is being held back.
      const deadline = Date.now() + 60_000;
      while (!slack.calls.some((c) => c.method === 'chat.postMessage')) {
        if (Date.now() > deadline)
          throw new Error(
            `no chat.postMessage; stderr: ${daemon.stderr()}; log: ${JSON.stringify(daemon.records.slice(-5))}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      const signalledAt = Date.now();
      daemon.child.kill('SIGTERM');
      const code = await daemon.exited;
      const exitedAfterMs = Date.now() - signalledAt;

      expect(code, daemon.stderr()).toBe(0);
      const events = daemon.records.map((r) => r.event);
      const at = (e: string) => events.indexOf(e);
      expect(at('daemon.shutdown')).toBeGreaterThan(-1);
      // Sent, then the report run finished, then the daemon stopped: in that order, after the signal.
      expect(at('outbox.sent')).toBeGreaterThan(at('daemon.shutdown'));
      expect(events.lastIndexOf('job.finished')).toBeGreaterThan(at('outbox.sent'));
      expect(at('daemon.stopped')).toBeGreaterThan(events.lastIndexOf('job.finished'));
      // Sent by the report run itself, or by the deliver job if its tick came between queue and send.
      expect(daemon.records.find((r) => r.event === 'outbox.sent')).toMatchObject({
        level: 'info',
        channel: 'slack',
        job: expect.stringMatching(/^(report:daily|deliver)$/),
      });
      expect(daemon.records.filter((r) => r.level === 'error')).toEqual([]);
      // No tick started after the signal.
      const startedAfter = daemon.records.slice(at('daemon.shutdown')).filter((r) => r.event === 'job.started');
      expect(startedAfter).toEqual([]);

      expect(slack.messages).toHaveLength(1);
      let db: Database | undefined;
      try {
        db = await env.open();
        const rows = await db.sql<{ state: string; attempts: number; external_id: string | null }[]>`
        select state, attempts, receipt->>'externalId' as external_id from pulsebot.outbox`;
        expect(rows).toEqual([
          { state: 'sent', attempts: 1, external_id: `${slack.messages[0]!.channel}:${slack.messages[0]!.ts}` },
        ]);
        const runs = await db.sql<
          { outcome: string | null }[]
        >`select outcome from pulsebot.job_runs where job = 'report:daily'`;
        expect(runs.length).toBeGreaterThanOrEqual(1);
        expect(runs.every((r) => r.outcome === 'ok')).toBe(true);
      } finally {
        await db?.close();
      }
      console.info(`sigterm: exited ${exitedAfterMs} ms after SIGTERM (Slack answer held ${SLACK_DELAY_MS} ms)`);
    });
  },
);
