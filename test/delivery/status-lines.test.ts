import { describe, expect, it } from 'vitest';
import type { OutboxStatus } from '../../src/delivery/outbox-status.js';
import { nextChance, statusLine, utcTime } from '../../src/delivery/status-lines.js';

const NOW = new Date('2026-11-25T09:00:00Z');
const routes = { slack: ['#ops'], email: ['ops@acme.test'] };
const row = (over: Partial<OutboxStatus>): OutboxStatus => ({
  key: 'report:daily:2026-11-24:slack:#ai-usage',
  channel: 'slack',
  destination: '#ai-usage',
  kind: 'report',
  state: 'pending',
  attempts: 1,
  nextAttemptAt: new Date('2026-11-25T09:03:30Z'),
  leaseUntil: null,
  lastError: 'Slack chat.postMessage failed: HTTP 500',
  ...over,
});

describe('statusLine', () => {
  it('a retry says what failed, when the outbox tries again and by what', () => {
    expect(statusLine(row({}), { now: NOW, routes })).toEqual({
      delivered: false,
      line: '… Slack #ai-usage: not delivered (Slack chat.postMessage failed: HTTP 500); the outbox retries it at 09:03:30 UTC via `pulsebot run` or `pulsebot deliver`',
    });
  });

  it('a time on another day carries its date; a time already reached says the next pass', () => {
    expect(utcTime(new Date('2026-11-26T00:00:05Z'), NOW)).toBe('2026-11-26 00:00:05 UTC');
    expect(statusLine(row({ nextAttemptAt: new Date('2026-11-25T08:59:00Z') }), { now: NOW, routes }).line).toContain(
      'retries it on its next pass via',
    );
  });

  it('a row held by a sender resumes at the later of its next attempt and its lease end', () => {
    const held = row({
      state: 'sending',
      nextAttemptAt: new Date('2026-11-25T08:58:00Z'),
      leaseUntil: new Date('2026-11-25T09:04:00Z'),
    });
    expect(nextChance(held)).toEqual(new Date('2026-11-25T09:04:00Z'));
    expect(statusLine(held, { now: NOW, routes }).line).toContain('resumes it at 09:04:00 UTC');
    // A lease only counts while the row is being sent.
    expect(nextChance(row({ leaseUntil: new Date('2026-11-25T10:00:00Z') }))).toEqual(new Date('2026-11-25T09:03:30Z'));
  });

  it('delivered and given-up messages, and where the failure was reported', () => {
    expect(statusLine(row({ state: 'sent' }), { now: NOW, routes })).toEqual({
      delivered: true,
      line: '✓ Slack #ai-usage',
    });
    expect(statusLine(row({ state: 'dead', attempts: 6 }), { now: NOW, routes }).line).toBe(
      '✗ Slack #ai-usage: Slack chat.postMessage failed: HTTP 500 (given up after 6 attempts; reported by email to ops@acme.test)',
    );
    const email = row({ state: 'dead', channel: 'email', destination: 'cfo@acme.test', lastError: '550 no' });
    expect(statusLine(email, { now: NOW, routes: { slack: [], email: [] } }).line).toBe(
      '✗ email to cfo@acme.test: 550 no (given up after 1 attempt; no failure route on Slack: written to the outbox directory and the log)',
    );
  });
});
