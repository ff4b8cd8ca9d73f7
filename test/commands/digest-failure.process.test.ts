import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js';

/** A channel the bot cannot post to: Slack answers channel_not_found, which no retry can fix. */
const CONFIG = `
reports:
  daily:
    period: day
    routes:
      slack: ["#nowhere"]
delivery:
  failure_routes:
    email: [ops@acme.test]
`;

describe('a delivery that cannot succeed is reported through another channel and by doctor (subprocess, embedded database)', () => {
  let env: FreshEnvironment;
  let cwd: string;
  let slack: FakeSlack;
  let smtp: SmtpSink;
  let live: Record<string, string>;
  beforeAll(async () => {
    env = await freshEnvironment('pglite');
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-digest-fail-'));
    writeFileSync(join(cwd, 'pulsebot.yaml'), CONFIG);
    slack = await startFakeSlack();
    smtp = await startSmtpSink();
    live = {
      ...env.env,
      PULSEBOT_CONFIG: join(cwd, 'pulsebot.yaml'),
      PULSEBOT_OUTBOX_DIR: join(cwd, 'outbox'),
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      SMTP_URL: smtp.url,
    };
    expect((await runCli(['seed-demo', '--days', '3', '--rows-per-day', '200'], { env: live, cwd })).code).toBe(0);
  });
  afterAll(async () => {
    await slack?.close();
    await smtp?.close();
    await env?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('exit 1, the failure says why and how to fix it, ops get an email, doctor shows ✗; --resend tries once more', async () => {
    const r = await runCli(['digest'], { env: live, cwd });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✗ slack:#nowhere: .*(channel_not_found|not found)/);
    expect(slack.messages).toHaveLength(0);
    // The Slack failure went out by email, to the failure route, once.
    const notices = smtp.messages.filter((m) => m.envelope.rcptTo.includes('ops@acme.test'));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.parsed.subject).toMatch(/could not deliver/i);
    expect(notices[0]!.parsed.text).toContain('#nowhere');
    // The token is a secret: it appears in nothing we printed or mailed.
    expect(r.stdout + r.stderr + String(notices[0]!.parsed.text)).not.toContain(slack.token);

    const doctor = await runCli(['doctor'], { env: live, cwd });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ delivery failed .*report:daily:.*:slack:#nowhere/);
    expect(doctor.stdout).toMatch(/--resend/);

    const again = await runCli(['digest'], { env: live, cwd });
    expect(again.stdout).toMatch(/0 messages queued, 1 already queued earlier/);
    const callsBefore = slack.calls.length;
    const resend = await runCli(['digest', '--resend'], { env: live, cwd });
    expect(resend.code).toBe(1);
    expect(resend.stdout).toMatch(/1 given up earlier and resent/);
    // Tried once more (a resumed attempt looks the channel up before posting), still impossible;
    // the ops mailbox was told once per message, not once per attempt.
    expect(slack.calls.length).toBeGreaterThan(callsBefore);
    expect(resend.stdout, resend.stdout + resend.stderr).toMatch(/✗ slack:#nowhere: .*(channel_not_found|not found)/);
    expect(smtp.messages.filter((m) => m.envelope.rcptTo.includes('ops@acme.test'))).toHaveLength(1);
  });
});
