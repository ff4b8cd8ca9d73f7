import { oneLine, postJson } from './http-post.js';
import {
  DeliveryError,
  type DeliveryReceipt,
  type PagerDutyPayload,
  type SendContext,
  type Transport,
} from './types.js';

/**
 * PagerDuty's Events API v2: one POST per event to /v2/enqueue, answered 202. The routing key is
 * put into the event here, from the keys of the config, so it never sits in the outbox. Sending
 * the same event twice is harmless: PagerDuty folds triggers with one dedup_key into one
 * incident, and a second resolve changes nothing, so a resumed send simply sends again.
 */

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyTransportOptions {
  /** PAGERDUTY_EVENTS_URL, else the public endpoint. */
  url?: string;
  /** The integration keys of the config, by routeRef. */
  keys: ReadonlyMap<string, string>;
  timeoutMs: number;
}

/** PagerDuty's 400 answer: {"status":"invalid event","message":"Event object is invalid","errors":["…"]}. */
function describe(_status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
    const message = typeof body.message === 'string' ? body.message : '';
    const parts = [message, errors.join('; ')].filter((p) => p !== '');
    if (parts.length > 0) return oneLine(parts.join(': '));
  } catch {
    // Not JSON (a proxy's page): its text, cut short.
  }
  return oneLine(text);
}

export function createPagerDutyTransport(opts: PagerDutyTransportOptions): Transport<PagerDutyPayload> {
  const url = opts.url ?? PAGERDUTY_EVENTS_URL;
  const credentials = [...opts.keys.values()].map((secret) => ({ secret }));
  return {
    name: 'pagerduty',
    async send(payload: PagerDutyPayload, _ctx: SendContext): Promise<DeliveryReceipt> {
      const key = opts.keys.get(payload.routingKeyRef);
      if (key === undefined) {
        throw new DeliveryError(`${payload.destination} is no longer in the config`, {
          retryable: false,
          hint: 'put the key back under the rule’s routes.pagerduty and `pulsebot deliver --resend` the message, or let it go',
        });
      }
      const answer = await postJson({
        url,
        body: JSON.stringify({ routing_key: key, ...payload.event }),
        headers: {},
        timeoutMs: opts.timeoutMs,
        what: `PagerDuty (${payload.destination})`,
        credentials,
        describe,
      });
      let detail: Record<string, unknown> = { status: answer.status };
      try {
        const body = JSON.parse(answer.text) as { message?: unknown };
        if (typeof body.message === 'string') detail = { ...detail, message: body.message };
      } catch {
        // A 2xx without JSON: accepted all the same.
      }
      return { externalId: payload.event.dedup_key, detail };
    },
    close: async () => {},
  };
}
