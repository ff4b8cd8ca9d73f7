import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { freshEnvironment, TARGETS, type FreshEnvironment } from '../support/databases.js';
import { spawnDaemon, type DaemonProcess } from './daemon-process.js';

/**
 * `pulsebot run` with SLACK_APP_TOKEN, as a real process: it opens Socket Mode to the local Slack,
 * puts the buttons on the alert it fires, applies a click, counts it on /metrics, and closes the
 * connection when it stops.
 */

const CHANNELS = { '#ai-oncall': 'C0AIONCALL', '#ai-alerts': 'C0AIALERTS' };

describe('the daemon answers Slack buttons', () => {
  let env: FreshEnvironment;
  let dir: string;
  let slack: FakeSlack;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    slack = await startFakeSlack({ channels: CHANNELS });
    env = await freshEnvironment(TARGETS[0]!);
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-buttons-daemon-'));
    const off = ['provider_success_rate', 'cost_vs_baseline', 'p95_latency', 'no_new_rows', 'refresh_stale'];
    writeFileSync(
      join(dir, 'pulsebot.yaml'),
      [
        'alerts:',
        '  evaluate_schedule: "*/2 * * * * *"',
        '  rules:',
        '    success_rate:',
        '      routes: { slack: ["#ai-oncall"], email: [] }',
        ...off.map((r) => `    ${r}: { enabled: false }`),
        '',
      ].join('\n'),
    );
    // 54 of 60 calls in the last 10 minutes succeeded: 90% < 95%, the default rule fires at once.
    const db = await env.open();
    try {
      const now = Date.now();
      await db.sql`insert into public.api_usage ${db.sql(
        Array.from({ length: 60 }, (_, i) => ({
          created_at: new Date(now - (i + 1) * 10_000),
          provider: 'openai',
          service_type: 'content',
          model: 'gpt-4o-mini',
          cost_usd: 0.01,
          latency_ms: 900,
          success: i >= 6,
          error_code: i < 6 ? 'overloaded' : null,
        })) as never[],
      )}`;
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    await slack?.close();
    await env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects, fires with buttons, applies an Acknowledge, counts it, and disconnects on SIGTERM', async () => {
    daemon = spawnDaemon({
      ...env.env,
      PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
      PULSEBOT_OUTBOX_DIR: join(dir, 'outbox'),
      PULSEBOT_LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.url,
    });
    const port = await daemon.port();
    await daemon.waitFor('the Socket Mode connection', (r) => r.event === 'slack.socket_connected', 60_000);
    expect(slack.socket.connections()).toBe(1);
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(await metrics()).toMatch(/^pulsebot_slack_socket_connected 1$/m);

    await daemon.waitFor('the alert in Slack', (r) => r.event === 'outbox.sent' && r.channel === 'slack', 60_000);
    const message = slack.messages.find((m) => m.channel === 'C0AIONCALL' && !m.thread_ts)!;
    await slack.socket.sendInteractive(
      slack.blockActions(message, 'pulsebot_acknowledge', { id: 'U0ALICE', name: 'alice' }),
    );
    await daemon.waitFor('the click applied', (r) => r.event === 'slack.action' && r.outcome === 'applied', 30_000);
    await daemon.waitFor(
      'the reply sent',
      (r) => r.event === 'outbox.sent' && String(r.key ?? '').startsWith('slack-action:'),
      30_000,
    );
    expect(slack.messages.find((m) => m.ts === message.ts)!.edited).toBe(true);
    const eventually = async (pattern: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(await metrics()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await metrics()).toMatch(pattern);
    };
    // Counted once the click's work is done; the next evaluation pass (every 2 s here) sees it.
    await eventually(/^pulsebot_alert_actions_total\{action="acknowledge",outcome="applied"\} 1$/m);
    await eventually(/^pulsebot_alert_acknowledged\{rule="success_rate",scope="all",user="U0ALICE"\} 1$/m);
    // The token never reaches the log.
    expect(JSON.stringify(daemon.records)).not.toContain(slack.appToken);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited, daemon.stderr()).toBe(0);
    await slack.socket.waitForConnections(0);
  });
});
