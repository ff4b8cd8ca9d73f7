import { createHmac } from 'node:crypto';
import { postJson } from './http-post.js';
import { DeliveryError, type DeliveryReceipt, type SendContext, type Transport, type WebhookPayload } from './types.js';

/**
 * Signed webhooks: the body (with `sent_at` set now, so a receiver can refuse an old one played
 * again) is serialised once, and those exact bytes are both sent and signed:
 * `X-Pulsebot-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by PULSEBOT_WEBHOOK_SECRET>`.
 * A retry is signed anew with its own `sent_at`; receivers deduplicate by the body's `id`.
 */

const SIGNATURE_HEADER = 'X-Pulsebot-Signature';

export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface WebhookTransportOptions {
  secret: string;
  /** The webhook URLs of the config, by routeRef. */
  urls: ReadonlyMap<string, string>;
  timeoutMs: number;
  now?: () => Date;
}

export function createWebhookTransport(opts: WebhookTransportOptions): Transport<WebhookPayload> {
  const now = opts.now ?? (() => new Date());
  return {
    name: 'webhook',
    async send(payload: WebhookPayload, _ctx: SendContext): Promise<DeliveryReceipt> {
      const url = opts.urls.get(payload.urlRef);
      if (url === undefined) {
        throw new DeliveryError(`webhook ${payload.destination} is no longer in the config`, {
          retryable: false,
          hint: 'put the URL back under the rule’s routes.webhook and `pulsebot deliver --resend` the message, or let it go',
        });
      }
      const body = JSON.stringify({ ...payload.body, sent_at: now().toISOString() });
      const answer = await postJson({
        url,
        body,
        headers: { [SIGNATURE_HEADER]: signatureOf(body, opts.secret) },
        timeoutMs: opts.timeoutMs,
        what: `webhook ${payload.destination}`,
        credentials: [{ secret: opts.secret }],
        now,
      });
      return { externalId: `${payload.destination} HTTP ${answer.status}`, detail: { status: answer.status } };
    },
    close: async () => {},
  };
}
