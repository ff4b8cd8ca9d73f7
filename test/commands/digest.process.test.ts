import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freshEnvironment, TARGETS, type FreshEnvironment } from '../support/databases.js';
import { FAKE_SLACK_CHANNELS, startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js';

/** Days with data before "now": the demo's yesterday is the report day. */
const CONFIG = `
reports:
  daily:
    period: day
    routes:
      slack: ["#ai-usage"]
      email: [ana@acme.test, ben@acme.test, cy@acme.test]
  weekly:
    period: week
    routes:
      email: [cfo@acme.test]
email:
  from: "pulsebot <bot@acme.test>"
`;

describe.each(TARGETS)('pulsebot digest (subprocess) on %s', (target) => {
  let env: FreshEnvironment;
  let cwd: string;
  let slack: FakeSlack;
  let smtp: SmtpSink;
  let base: Record<string, string>;
  beforeAll(async () => {
    env = await freshEnvironment(target);
    cwd = mkdtempSync(join(tmpdir(), 'pulsebot-digest-'));
    writeFileSync(join(cwd, 'pulsebot.yaml'), CONFIG);
    base = { ...env.env, PULSEBOT_CONFIG: join(cwd, 'pulsebot.yaml'), PULSEBOT_OUTBOX_DIR: join(cwd, 'outbox') };
    const seeded = await runCli(['seed-demo', '--days', '9', '--rows-per-day', '300'], { env: base, cwd });
    expect(seeded.code, seeded.stderr).toBe(0);
    slack = await startFakeSlack();
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await slack?.close();
    await smtp?.close();
    await env?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('--dry-run prints every destination and sends or stores nothing', async () => {
    const r = await runCli(['digest', '--dry-run'], { env: base, cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dry run: nothing sent, nothing stored/);
    expect(r.stdout).toMatch(/slack #ai-usage: \d+ blocks, 6 files/);
    for (const to of ['ana@acme.test', 'ben@acme.test', 'cy@acme.test']) expect(r.stdout).toContain(`email ${to}:`);
    const db = await env.open();
    try {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from pulsebot.outbox`;
      const n = row?.n;
      expect(n).toBe(0);
    } finally {
      await db.close();
    }
    expect(existsSync(join(cwd, 'outbox'))).toBe(false);
  });

  it('--out writes the preview: index.html, email (browser HTML with chart files, .eml, .txt), Slack JSON, PNGs, snapshot.json', async () => {
    const out = join(cwd, 'preview');
    const r = await runCli(['digest', '--out', out], { env: base, cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(out, 'index.html'));
    for (const f of [
      'index.html',
      'email.html',
      'email.eml',
      'email.txt',
      'slack-ai-usage.json',
      'slack-ai-usage-thread.json',
      'snapshot.json',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    const charts = readdirSync(join(out, 'charts')).sort();
    expect(charts).toEqual([
      'daily_cost_by_provider.png',
      'health_components.png',
      'p95_by_service_type.png',
      'provider_comparison.png',
      'requests_and_success_rate.png',
      'top_models_by_cost.png',
    ]);
    for (const c of charts)
      expect(
        readFileSync(join(out, 'charts', c))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    // The browser copy points at the chart files, the .eml keeps cid: references with their parts.
    const html = readFileSync(join(out, 'email.html'), 'utf8');
    expect(html).not.toContain('cid:');
    // Every chart but top models and health components, which the tables beside them would repeat.
    for (const c of charts)
      expect(html.includes(`charts/${c}`), c).toBe(c !== 'top_models_by_cost.png' && c !== 'health_components.png');
    const eml = readFileSync(join(out, 'email.eml'), 'utf8');
    expect(eml).toMatch(/Content-ID: <daily_cost_by_provider@pulsebot>/i);
    const snapshot = JSON.parse(readFileSync(join(out, 'snapshot.json'), 'utf8'));
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain(snapshot.period.label);
    // The email inline (sized by the page to its height), its Block Kit JSON beside the Slack message.
    expect(index).toMatch(/<iframe class="email"[^>]* srcdoc="/);
    expect(index).not.toContain('1800px');
    const slackJson = JSON.parse(readFileSync(join(out, 'slack-ai-usage.json'), 'utf8'));
    expect(index).toContain(`&quot;type&quot;: &quot;${slackJson.blocks[0].type}&quot;`);
    // The details, a reply in the message's thread, are shown and written too.
    const thread = JSON.parse(readFileSync(join(out, 'slack-ai-usage-thread.json'), 'utf8'));
    expect(thread.threadOfKey).toMatch(/^report:daily:\d{4}-\d{2}-\d{2}:slack:#ai-usage$/);
    expect(index).toContain('Reply in the thread: the details');
    // Nothing was sent.
    expect(slack.messages).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('without credentials, writes what it would send to PULSEBOT_OUTBOX_DIR through the outbox', async () => {
    const r = await runCli(['digest', '--report', 'weekly'], { env: base, cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/email via files in .*SMTP_URL is not set/);
    expect(r.stdout).toContain('✓ email to cfo@acme.test');
    const dirs = readdirSync(join(cwd, 'outbox'));
    expect(dirs).toHaveLength(1);
    expect(readdirSync(join(cwd, 'outbox', dirs[0]!))).toEqual(expect.arrayContaining(['message.eml', 'message.html']));
  });

  it('sends to Slack and SMTP, once: a second run for the same period sends nothing', async () => {
    const live = { ...base, SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, SMTP_URL: smtp.url };
    const first = await runCli(['digest'], { env: live, cwd });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // The Slack message, its details in the thread, three emails.
    expect(first.stdout).toMatch(/5 messages queued/);
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(1);
    const post = slack.messages.find((m) => !m.thread_ts)!;
    const replies = slack.messages.filter((m) => m.thread_ts === post.ts);
    expect(replies).toHaveLength(1);
    expect(JSON.stringify(replies[0]!.blocks)).toContain('*Operations*');
    expect(post.channel).toBe(FAKE_SLACK_CHANNELS['#ai-usage']);
    expect(post.metadata?.event_payload).toEqual({
      pulsebot_key: expect.stringMatching(/^report:daily:\d{4}-\d{2}-\d{2}:slack:#ai-usage$/),
    });
    expect(slack.files.filter((f) => f.thread_ts === post.ts)).toHaveLength(6);
    expect(smtp.messages.flatMap((m) => m.envelope.rcptTo).sort()).toEqual([
      'ana@acme.test',
      'ben@acme.test',
      'cy@acme.test',
    ]);
    for (const m of smtp.messages) {
      const cids = [...String(m.parsed.html).matchAll(/cid:([^"']+)/g)].map((x) => x[1]);
      expect(cids).toHaveLength(4);
      for (const cid of cids)
        expect(
          m.parsed.attachments.filter((a) => a.cid === cid),
          cid,
        ).toHaveLength(1);
      expect(m.parsed.text).toMatch(/Cost/);
    }

    const second = await runCli(['digest'], { env: live, cwd });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/0 messages queued, 5 already queued earlier \(not sent again\)/);
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(slack.messages).toHaveLength(2);
    expect(smtp.messages).toHaveLength(3);
  });

  it('an unknown report or a bad date exits 2 and names it', async () => {
    const unknown = await runCli(['digest', '--report', 'hourly'], { env: base, cwd });
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/no report named "hourly"/)]);
    const bad = await runCli(['digest', '--date', '2026-13-01'], { env: base, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--date/);
  });
});
