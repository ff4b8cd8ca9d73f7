import { createHash } from 'node:crypto';
import type { EmailAttachment, EmailPayload } from '../delivery/types.js';

/** A rendered email (digest or alert) before it is addressed: the same for every recipient. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
  attachments: EmailAttachment[];
}

/**
 * The Message-ID of one report × period × recipient: the same on every retry, so a message
 * resent after a crash is recognisable as a duplicate by mail clients.
 */
export function emailMessageId(p: { report: string; period: string; recipient: string }): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([p.report, p.period, p.recipient.trim().toLowerCase()]))
    .digest('hex');
  return `<${hash}@pulsebot>`;
}

/** The message for one recipient: the content rendered once, the envelope per person. */
export function emailFor(
  content: EmailContent,
  opts: { from: string; to: string; replyTo?: string; messageId: string },
): EmailPayload {
  return {
    from: opts.from,
    to: opts.to,
    ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
    subject: content.subject,
    html: content.html,
    text: content.text,
    messageId: opts.messageId,
    attachments: content.attachments,
    // Keeps out-of-office and other auto-replies away from the sender (RFC 3834; Exchange).
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
  };
}
