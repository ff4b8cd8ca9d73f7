import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileTransport, safeDirName } from '../../src/delivery/file-transport.js';
import type { EmailPayload, SendContext, SlackPayload } from '../../src/delivery/types.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (key: string): SendContext => ({
  key,
  progress: {},
  resumed: false,
  checkpoint: async () => {},
  receiptOf: async () => null,
});
const png = (n: number) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300, n)]);

function emailPayload(): EmailPayload {
  return {
    from: 'pulsebot <pulsebot@example.com>',
    to: 'ana@example.com',
    replyTo: 'ops@example.com',
    subject: 'AI usage · 24 Nov: $1,234 (+5%)',
    html: '<html><body><h1>Daily digest</h1><img src="cid:cost@pulsebot" alt="cost"><img src="cid:requests@pulsebot" alt="requests"></body></html>',
    text: 'Daily digest\nCost $1,234 (+5%)\n',
    messageId: '<report.daily.2026-11-24.ana@pulsebot>',
    attachments: [
      { filename: 'cost.png', cid: 'cost@pulsebot', contentType: 'image/png', content: png(1) },
      { filename: 'requests.png', cid: 'requests@pulsebot', contentType: 'image/png', content: png(2) },
    ],
    headers: { 'X-Pulsebot-Report': 'daily' },
  };
}

function slackPayload(): SlackPayload {
  return {
    channel: '#ai-usage',
    text: 'AI usage 24 Nov',
    blocks: [{ type: 'header', text: { type: 'plain_text', text: 'AI usage' } }],
    files: [
      { filename: 'cost.png', title: 'Cost', altText: 'Cost by provider', content: png(3) },
      { filename: '../slack.json', title: 'Hostile', altText: 'a name that tries to overwrite', content: png(4) },
    ],
  };
}

function snapshotDir(path: string): Record<string, Buffer> {
  return Object.fromEntries(
    readdirSync(path)
      .sort()
      .map((f) => [f, readFileSync(join(path, f))]),
  );
}

describe('file transport', () => {
  it('writes an email as a real message: text and html alternatives, every cid with its image', async () => {
    const t = createFileTransport(dir);
    const receipt = await t.email.send(emailPayload(), ctx('report:daily:2026-11-24:email:ana@example.com'));
    expect(receipt.externalId).toBe(join(dir, safeDirName('report:daily:2026-11-24:email:ana@example.com')));
    expect(readdirSync(receipt.externalId).sort()).toEqual(['cost.png', 'message.eml', 'message.html', 'requests.png']);

    const raw = readFileSync(join(receipt.externalId, 'message.eml'));
    expect(raw.toString()).toMatch(/^Content-Type: multipart\/related/m);
    expect(raw.toString()).toMatch(/^Content-Type: multipart\/alternative/m);
    const mail = await simpleParser(raw, { skipImageLinks: true });
    expect(mail.messageId).toBe('<report.daily.2026-11-24.ana@pulsebot>');
    expect(mail.subject).toBe('AI usage · 24 Nov: $1,234 (+5%)');
    expect(mail.text?.trim()).toBe('Daily digest\nCost $1,234 (+5%)');
    expect(mail.html).toContain('<h1>Daily digest</h1>');
    expect(mail.headers.get('x-pulsebot-report')).toBe('daily');
    expect(mail.replyTo?.text).toBe('ops@example.com');
    const cids = [...String(mail.html).matchAll(/cid:([^"']+)/g)].map((m) => m[1]);
    expect(cids).toEqual(['cost@pulsebot', 'requests@pulsebot']);
    for (const cid of cids) {
      const att = mail.attachments.find((a) => a.cid === cid);
      expect(att, cid).toBeDefined();
      expect(att!.contentType).toBe('image/png');
    }
    expect(mail.attachments.find((a) => a.cid === 'cost@pulsebot')!.content.equals(png(1))).toBe(true);

    // The HTML preview opens in a browser: its images point at the files beside it.
    const html = readFileSync(join(receipt.externalId, 'message.html'), 'utf8');
    expect(html).toContain('src="cost.png"');
    expect(html).toContain('src="requests.png"');
    expect(readFileSync(join(receipt.externalId, 'cost.png')).equals(png(1))).toBe(true);
  });

  it('writes a Slack message as slack.json plus its files, never letting a file name escape or overwrite', async () => {
    const t = createFileTransport(dir);
    const receipt = await t.slack.send(slackPayload(), ctx('report:daily:2026-11-24:slack:#ai-usage'));
    const files = readdirSync(receipt.externalId).sort();
    expect(files).toHaveLength(3);
    expect(files).toContain('slack.json');
    expect(files).toContain('cost.png');
    const json = JSON.parse(readFileSync(join(receipt.externalId, 'slack.json'), 'utf8')) as {
      channel: string;
      text: string;
      blocks: unknown[];
      files: Array<{ path: string }>;
    };
    expect(json).toMatchObject({ channel: '#ai-usage', text: 'AI usage 24 Nov', blocks: slackPayload().blocks });
    expect(readFileSync(join(receipt.externalId, json.files[1]!.path)).equals(png(4))).toBe(true);
  });

  it('writing the same key again gives the same files, byte for byte, and leaves no temporary files', async () => {
    const t = createFileTransport(dir, { now: () => new Date('2026-11-25T09:00:00Z') });
    const later = createFileTransport(dir, { now: () => new Date('2026-11-25T10:30:00Z') });
    const a = await t.email.send(emailPayload(), ctx('idem:email'));
    const first = snapshotDir(a.externalId);
    const b = await later.email.send(emailPayload(), ctx('idem:email'));
    expect(b.externalId).toBe(a.externalId);
    expect(snapshotDir(b.externalId)).toEqual(first);

    const s1 = await t.slack.send(slackPayload(), ctx('idem:slack'));
    const slackFirst = snapshotDir(s1.externalId);
    await Promise.all([
      t.slack.send(slackPayload(), ctx('idem:slack')),
      t.slack.send(slackPayload(), ctx('idem:slack')),
    ]);
    expect(snapshotDir(s1.externalId)).toEqual(slackFirst);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('keeps hostile keys inside the directory and readable', async () => {
    const t = createFileTransport(dir);
    const hostile = [
      '../../etc/passwd',
      '..',
      '.',
      '/abs/path',
      'a/../../b',
      'ctrl\u0000\u001b[31m\n',
      '..\\..\\windows',
      'x'.repeat(600),
    ];
    const paths = new Set<string>();
    for (const key of hostile) {
      const r = await t.email.send(emailPayload(), ctx(key));
      const path = resolve(r.externalId);
      expect(path.startsWith(resolve(dir) + sep), key).toBe(true);
      expect(path.slice(resolve(dir).length + 1), key).not.toContain(sep);
      expect(path.slice(resolve(dir).length + 1), key).not.toContain('..');
      expect(path, key).not.toMatch(/[\u0000-\u001f]/);
      expect(statSync(path).isDirectory()).toBe(true);
      paths.add(path);
    }
    expect(paths.size).toBe(hostile.length);
    expect(safeDirName('../../etc/passwd')).toMatch(/^etc_passwd-[0-9a-f]{10}$/);
    expect(safeDirName('report:daily:2026-11-24:email:a@x.com')).toMatch(
      /^report_daily_2026-11-24_email_a@x.com-[0-9a-f]{10}$/,
    );
    // Keys that sanitise alike still get directories of their own.
    expect(safeDirName('a:b')).not.toBe(safeDirName('a/b'));
  });
});
