import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js';

/**
 * A channel the bot cannot post to: Slack answers channel_not_found, which no retry can fix. The
 * report is the verdict and key figures only, so there is no reply in the thread to follow it
 * (test/report/compose-digest.test.ts has that reply).
 */
const CONFIG = `
reports:
  daily:
    period: day
    sections: [kpis, movers]
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

  const notices = () => smtp.messages.filter((m) => m.envelope.rcptTo.includes('ops@acme.test'));

  it('exit 1, the failure says why and how to fix it, ops get an email, doctor shows ✗; --resend tries once more and reports again', async () => {
    const r = await runCli(['digest'], { env: live, cwd });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /✗ Slack #nowhere: .*(channel_not_found|not found).*\(given up after 1 attempt; reported by email to ops@acme\.test\)/,
    );
    expect(slack.messages).toHaveLength(0);
    // The Slack failure went out by email, to the failure route, once.
    expect(notices()).toHaveLength(1);
    expect(notices()[0]!.parsed.subject).toMatch(/could not deliver/i);
    expect(notices()[0]!.parsed.text).toContain('#nowhere');
    // The token is a secret: it appears in nothing we printed or mailed.
    expect(r.stdout + r.stderr + String(notices()[0]!.parsed.text)).not.toContain(slack.token);

    const doctor = await runCli(['doctor'], { env: live, cwd });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ delivery failed .*report:daily:.*:slack:#nowhere/);
    expect(doctor.stdout).toMatch(/pulsebot deliver --resend 'report:daily:[^']*:slack:#nowhere'/);

    const again = await runCli(['digest'], { env: live, cwd });
    expect(again.stdout).toMatch(/0 messages queued, 1 already queued earlier/);
    const callsBefore = slack.calls.length;
    const resend = await runCli(['digest', '--resend'], { env: live, cwd });
    expect(resend.code).toBe(1);
    expect(resend.stdout).toMatch(/1 given up earlier and resent/);
    // Tried once more (a resumed attempt looks the channel up before posting), still impossible,
    // and reported again: a second notice, which says it was the second attempt.
    expect(slack.calls.length).toBeGreaterThan(callsBefore);
    expect(resend.stdout, resend.stdout + resend.stderr).toMatch(/✗ Slack #nowhere: .*(channel_not_found|not found)/);
    expect(notices()).toHaveLength(2);
    expect(notices()[1]!.parsed.text).toMatch(/Attempts:\s+2/);
  });

  it('a failure notice that itself failed is listed by doctor and goes out with `pulsebot deliver --resend <its key>`', async () => {
    const reportKey = /pulsebot deliver --resend '([^']+)'/.exec(
      (await runCli(['doctor'], { env: live, cwd })).stdout,
    )![1]!;
    // The ops mailbox refuses the next notice for good.
    smtp.failNextRcpt(550, '5.1.1 <ops@acme.test>: mailbox unavailable');
    const failing = await runCli(['deliver', '--resend', reportKey], { env: live, cwd });
    expect(failing.code, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout).toContain(`${reportKey}: queued once more`);
    expect(failing.stdout).toMatch(
      /✗ Slack #nowhere: .*\(given up after 3 attempts; reported by email to ops@acme\.test\)/,
    );
    expect(failing.stdout).toMatch(
      /✗ email to ops@acme\.test: .*550.*\(given up after 1 attempt; a failure notice is not reported by another; see `pulsebot doctor`\)/,
    );
    expect(notices()).toHaveLength(2);

    const doctor = await runCli(['doctor'], { env: live, cwd });
    const noticeKey = `failure:${reportKey}:attempt:3:email:ops@acme.test`;
    expect(doctor.stdout).toMatch(
      new RegExp(`✗ delivery failed +${noticeKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    expect(doctor.stdout).toContain(`pulsebot deliver --resend '${noticeKey}'`);

    const resent = await runCli(['deliver', '--resend', noticeKey], { env: live, cwd });
    expect(resent.code, resent.stdout + resent.stderr).toBe(0);
    expect(resent.stdout).toContain(`✓ email to ops@acme.test [${noticeKey}]`);
    expect(notices()).toHaveLength(3);
    expect(notices()[2]!.parsed.text).toMatch(/Attempts:\s+3/);

    const unknown = await runCli(['deliver', '--resend', 'report:nope'], { env: live, cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('✗ report:nope: no given-up message has this key');
  });
});
