import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import type { EmailPayload } from './types.js';

/**
 * An email payload as nodemailer's message options: the one mapping behind what SMTP sends, what
 * the file outbox writes and what a preview shows, so the three cannot drift apart.
 */
export function mailOptions(payload: EmailPayload): Mail.Options {
  return {
    from: payload.from,
    to: payload.to,
    ...(payload.replyTo ? { replyTo: payload.replyTo } : {}),
    subject: payload.subject,
    text: payload.text,
    html: payload.html,
    messageId: payload.messageId,
    ...(payload.headers ? { headers: payload.headers } : {}),
    attachments: payload.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}),
    })),
  };
}

/** A real RFC 822 message: multipart/alternative text + html, inline images related by Content-ID. */
export function composeEml(payload: EmailPayload, opts: { date: Date; baseBoundary?: string }): Promise<Buffer> {
  return new MailComposer({
    ...mailOptions(payload),
    date: opts.date,
    ...(opts.baseBoundary ? { baseBoundary: opts.baseBoundary } : {}),
  })
    .compile()
    .build();
}
