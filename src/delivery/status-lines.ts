import { failureChannelsOf, type FailureRoutes } from './failure-notice.js';
import type { OutboxStatus } from './outbox-status.js';
import { GONE_WITH_ITS_MESSAGE } from './types.js';

/**
 * How the one-shot commands (digest, deliver) tell a person where each message stands: delivered,
 * given up (and where that was reported), or still to be delivered, and then when and by what.
 */

export interface StatusLine {
  /** true once the message is delivered. */
  delivered: boolean;
  line: string;
}

const BY_WHAT = 'via `pulsebot run` or `pulsebot deliver`';

/** "Slack #ai-usage", "email to cfo@acme.test". */
function whereOf(r: Pick<OutboxStatus, 'channel' | 'destination'>): string {
  switch (r.channel) {
    case 'slack':
      return `Slack ${r.destination}`;
    case 'email':
      return `email to ${r.destination}`;
    case 'pagerduty':
      return r.destination;
    case 'webhook':
      return `webhook ${r.destination}`;
  }
}

/**
 * When a delivery pass can next take the message: a pending row at its next attempt; a row held
 * by a sender (one that died mid-send, right after a crash) only once that sender's lease ends.
 */
export function nextChance(r: Pick<OutboxStatus, 'state' | 'nextAttemptAt' | 'leaseUntil'>): Date | null {
  const times = [r.nextAttemptAt, r.state === 'sending' ? r.leaseUntil : null].filter((t): t is Date => t !== null);
  if (times.length === 0) return null;
  return new Date(Math.max(...times.map((t) => t.getTime())));
}

/** "09:03:30 UTC" on the day of `now`, else with the date. */
export function utcTime(at: Date, now: Date): string {
  const iso = at.toISOString();
  const time = iso.slice(11, 19);
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? `${time} UTC` : `${iso.slice(0, 10)} ${time} UTC`;
}

function when(r: OutboxStatus, now: Date): string {
  const at = nextChance(r);
  return at && at > now ? `at ${utcTime(at, now)}` : 'on its next pass';
}

/** Where a given-up message was reported (dispatch's reportFailure decides the same way). */
function reportedWhere(r: OutboxStatus, routes: FailureRoutes): string {
  if (r.kind === 'failure_notice') return 'a failure notice is not reported by another; see `pulsebot doctor`';
  if (r.lastError?.endsWith(GONE_WITH_ITS_MESSAGE)) return "its message's failure notice covers it";
  const via = failureChannelsOf(r.channel).filter((c) => routes[c].length > 0);
  if (via.length === 0) {
    const names = failureChannelsOf(r.channel).map((c) => (c === 'email' ? 'email' : 'Slack'));
    return `no failure route on ${names.join(' or ')}: written to the outbox directory and the log`;
  }
  return via.map((c) => `reported ${c === 'email' ? 'by email to' : 'in Slack'} ${routes[c].join(', ')}`).join('; ');
}

export function statusLine(r: OutboxStatus, opts: { now: Date; routes: FailureRoutes }): StatusLine {
  const where = whereOf(r);
  switch (r.state) {
    case 'sent':
      return { delivered: true, line: `✓ ${where}` };
    case 'dead': {
      const attempts = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
      return {
        delivered: false,
        line: `✗ ${where}: ${r.lastError ?? 'failed'} (given up after ${attempts}; ${reportedWhere(r, opts.routes)})`,
      };
    }
    case 'sending': {
      const error = r.lastError ? ` (last error: ${r.lastError})` : '';
      return {
        delivered: false,
        line: `… ${where}: not delivered yet, another sender holds it (a process sending it, or one that stopped mid-send)${error}; the outbox resumes it ${when(r, opts.now)} ${BY_WHAT}`,
      };
    }
    case 'pending': {
      const what = r.attempts === 0 ? 'not sent yet' : `not delivered (${r.lastError ?? 'failed'})`;
      const verb = r.attempts === 0 ? 'sends' : 'retries';
      return { delivered: false, line: `… ${where}: ${what}; the outbox ${verb} it ${when(r, opts.now)} ${BY_WHAT}` };
    }
  }
}
