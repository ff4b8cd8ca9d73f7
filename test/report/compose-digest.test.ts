import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { composeDigest, reportKey, reportTitle } from '../../src/report/compose-digest.js';
import { digestModelFixture } from '../fixtures/digest-model.js';

const config = configSchema.parse({
  email: { from: 'pulsebot <bot@acme.test>', reply_to: 'ops@acme.test' },
  reports: {
    daily: {
      period: 'day',
      routes: { slack: ['#ai-usage', 'C0123ABCD'], email: ['Ana@Acme.test', 'ben@acme.test', 'ana@acme.test'] },
    },
    finance: { period: 'week', routes: { slack: [], email: [] } },
  },
});

describe('composeDigest', () => {
  it('one Slack message per channel with its details in the thread, and one email per distinct recipient, each under its report × period × destination key', async () => {
    const model = await digestModelFixture();
    const c = await composeDigest(model, { name: 'daily', report: config.reports.daily!, email: config.email });
    // The fixture's period is 2026-11-24; "Ana@Acme.test" and "ana@acme.test" are one mailbox.
    expect(c.messages.map((m) => m.key)).toEqual([
      'report:daily:2026-11-24:slack:#ai-usage',
      'report:daily:2026-11-24:slack:#ai-usage:details',
      'report:daily:2026-11-24:slack:C0123ABCD',
      'report:daily:2026-11-24:slack:C0123ABCD:details',
      'report:daily:2026-11-24:email:ana@acme.test',
      'report:daily:2026-11-24:email:ben@acme.test',
    ]);
    // Each reply goes into the thread of its own channel's message.
    const replies = c.messages.filter((m) => m.key.endsWith(':details'));
    expect(replies.map((m) => m.channel === 'slack' && m.payload.threadOfKey)).toEqual([
      'report:daily:2026-11-24:slack:#ai-usage',
      'report:daily:2026-11-24:slack:C0123ABCD',
    ]);
    const emails = c.messages.filter((m) => m.channel === 'email');
    expect(emails.map((m) => m.channel === 'email' && m.payload.to)).toEqual(['ana@acme.test', 'ben@acme.test']);
    for (const m of emails) {
      if (m.channel !== 'email') continue;
      expect(m.payload.from).toBe('pulsebot <bot@acme.test>');
      expect(m.payload.replyTo).toBe('ops@acme.test');
      // Same rendering for everyone, a Message-ID of their own.
      expect(m.payload.html).toBe(c.email!.html);
    }
    const ids = emails.map((m) => (m.channel === 'email' ? m.payload.messageId : ''));
    expect(new Set(ids).size).toBe(2);
    // The charts travel with every message: as thread files in Slack (on the message, not the
    // reply), as CID parts in email, less the top-models chart the models table makes redundant.
    for (const m of c.messages) {
      if (m.channel === 'slack')
        expect(m.payload.files.length, m.key).toBe(m.payload.threadOfKey ? 0 : model.charts.length);
      else expect(m.payload.attachments.map((a) => a.cid)).toEqual(['daily_cost_by_provider@pulsebot']);
    }
  });

  it('is deterministic: the same digest gives the same keys and Message-IDs (a re-run cannot send twice)', async () => {
    const model = await digestModelFixture();
    const a = await composeDigest(model, { name: 'daily', report: config.reports.daily!, email: config.email });
    const b = await composeDigest(model, { name: 'daily', report: config.reports.daily!, email: config.email });
    const ids = (x: typeof a) =>
      x.messages.map((m) => [m.key, m.channel === 'email' ? m.payload.messageId : m.payload.channel]);
    expect(ids(b)).toEqual(ids(a));
  });

  it('a report with no routes produces no messages and skips the email rendering', async () => {
    const c = await composeDigest(await digestModelFixture(), {
      name: 'finance',
      report: config.reports.finance!,
      email: config.email,
    });
    expect(c.messages).toEqual([]);
    expect(c.email).toBeNull();
  });

  it('titles and keys', () => {
    expect(reportTitle('daily', { period: 'day' })).toBe('Daily AI usage digest');
    expect(reportTitle('finance', { period: 'week' })).toBe('Weekly AI usage report (finance)');
    expect(reportKey('weekly', '2026-W47', 'email', 'CFO@Acme.test')).toBe(
      'report:weekly:2026-W47:email:cfo@acme.test',
    );
  });
});
