import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';

/**
 * Three reports on three channels, so each step below has a message of its own: the verdict and
 * key figures only, so no reply in the thread follows any of them.
 */
const REPORTS = `
reports:
  daily:
    period: day
    sections: [kpis, movers]
    routes:
      slack: ["#ai-usage"]
  team:
    period: day
    sections: [kpis, movers]
    routes:
      slack: ["#alerts"]
  ops:
    period: day
    sections: [kpis, movers]
    routes:
      slack: ["#general"]
slack:
  upload_charts: false
`;
/** The defaults: a minute of retries within the command. */
const WITH_INLINE = REPORTS;
/** No retries within the command, and a 1 s outbox backoff, so a retry is due a second later. */
const WITHOUT_INLINE = `${REPORTS}
delivery:
  inline_retry_seconds: 0
  backoff_base_seconds: 1
  backoff_max_seconds: 1
`;

describe('one-shot delivery: digest rides out a blip, deliver flushes what is due (subprocess, embedded database)', () => {
  let env: FreshEnvironment;
  let cwd: string;
  let slack: FakeSlack;
  let withInline: Record<string, string>;
  let withoutInline: Record<string, string>;

  const posts = (channelId: string) => slack.messages.filter((m) => m.channel === channelId);
  /** The outbox row of a report's Slack message (the embedded database has one owner: open, read, close). */
  const row = async (report: string) => {
    const db = await env.open();
    try {
      const [r] = await db.sql<{ key: string; state: string; next_attempt_at: Date }[]>`
        select key, state, next_attempt_at from pulsebot.outbox where key like ${`report:${report}:%`}`;
      return r!;
    } finally {
      await db.close();
    }
  };
  /** Waits (on the wall clock the CLI uses) until a retry is due. */
  const until = async (at: Date) => {
    const ms = at.getTime() - Date.now() + 50;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  };

  beforeAll(async () => {
    env = await freshEnvironment('pglite');
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-one-shot-'));
    writeFileSync(join(cwd, 'with.yaml'), WITH_INLINE);
    writeFileSync(join(cwd, 'without.yaml'), WITHOUT_INLINE);
    slack = await startFakeSlack();
    const common = {
      ...env.env,
      PULSEBOT_OUTBOX_DIR: join(cwd, 'outbox'),
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    };
    withInline = { ...common, PULSEBOT_CONFIG: join(cwd, 'with.yaml') };
    withoutInline = { ...common, PULSEBOT_CONFIG: join(cwd, 'without.yaml') };
    const seeded = await runCli(['seed-demo', '--days', '3', '--rows-per-day', '200'], { env: withInline, cwd });
    expect(seeded.code, seeded.stderr).toBe(0);
  });
  afterAll(async () => {
    await slack?.close();
    await env?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('digest with Slack answering 500 twice delivers within the command: exit 0, one post', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 2);
    const r = await runCli(['digest'], { env: withInline, cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ Slack #ai-usage');
    // Two tries failed and were retried within the command.
    expect(r.stderr.match(/outbox\.inline_retry/g)).toHaveLength(2);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(3);
    const key = (await row('daily')).key;
    const tagged = posts('C01AIUSAGE').filter((m) => m.metadata?.event_payload.pulsebot_key === key);
    expect(tagged).toHaveLength(1);
    expect(posts('C01AIUSAGE')).toHaveLength(1);
    expect((await row('daily')).state).toBe('sent');
  });

  it('without inline retries, digest says when and by what the message is retried; deliver retries it', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 1);
    const digest = await runCli(['digest', '--report', 'team'], { env: withoutInline, cwd });
    expect(digest.code, digest.stdout + digest.stderr).toBe(1);
    const pending = await row('team');
    expect(pending.state).toBe('pending');
    const hhmmss = pending.next_attempt_at.toISOString().slice(11, 19);
    expect(digest.stdout).toContain('… Slack #alerts: not delivered (Slack chat.postMessage failed: HTTP 500');
    expect(digest.stdout).toContain(
      `; the outbox retries it at ${hhmmss} UTC via \`pulsebot run\` or \`pulsebot deliver\``,
    );

    // Due, but Slack fails once more: deliver exits 1 and says what is still pending.
    await until(pending.next_attempt_at);
    slack.failNext('chat.postMessage', { status: 500 }, 1);
    const failing = await runCli(['deliver'], { env: withoutInline, cwd });
    expect(failing.code, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout).toContain('0 of 1 due message delivered');
    expect(failing.stdout).toMatch(
      /… Slack #alerts: not delivered \(Slack chat\.postMessage failed: HTTP 500.*\); the outbox retries it at \d\d:\d\d:\d\d UTC/,
    );

    await until((await row('team')).next_attempt_at);
    const ok = await runCli(['deliver'], { env: withoutInline, cwd });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('1 of 1 due message delivered');
    expect(ok.stdout).toContain(`✓ Slack #alerts [${pending.key}]`);
    expect((await row('team')).state).toBe('sent');
    // The retry looked in the channel first and found nothing: one post.
    expect(posts('C02ALERTS')).toHaveLength(1);

    const idle = await runCli(['deliver'], { env: withoutInline, cwd });
    expect(idle.code, idle.stdout + idle.stderr).toBe(0);
    expect(idle.stdout).toContain('nothing was due');
    expect(posts('C02ALERTS')).toHaveLength(1);
  });

  it('right after a crash, digest gives the time the message resumes (its lease end), not a past retry time', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 1);
    expect((await runCli(['digest', '--report', 'ops'], { env: withoutInline, cwd })).code).toBe(1);
    // What a sender that claimed the row and died leaves behind: 'sending', its lease running.
    const leaseUntil = new Date(Date.now() + 5 * 60_000);
    const db = await env.open();
    try {
      await db.sql`
        update pulsebot.outbox
        set state = 'sending', attempts = attempts + 1, lease_until = ${leaseUntil},
            next_attempt_at = ${new Date(Date.now() - 60_000)}
        where key like 'report:ops:%'`;
    } finally {
      await db.close();
    }
    const r = await runCli(['digest', '--report', 'ops'], { env: withoutInline, cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`the outbox resumes it at ${leaseUntil.toISOString().slice(11, 19)} UTC`);
    expect(posts('C03GENERAL')).toHaveLength(0);
  });
});
