import { z } from 'zod';
import { emailAddress, slackChannel } from './fields.js';

/**
 * The routes an alert rule can send to: Slack channels, email addresses, PagerDuty integration
 * keys (Events API v2) and webhook URLs. Neither a key nor a webhook URL is ever shown in an
 * error: a key is a secret, and a webhook URL often carries a token in its path.
 */

const PAGERDUTY_KEY_MESSAGE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VARIABLE} syntax, in words
  'expected a PagerDuty integration key: 32 letters and digits (the "Integration Key" of an Events API v2 integration), given through ${VARIABLE}';

/** An Events API v2 integration (routing) key. Its value is never echoed, not even its length. */
const pagerdutyRoutingKey = z
  .string({ error: PAGERDUTY_KEY_MESSAGE })
  .regex(/^[A-Za-z0-9]{32}$/, { error: PAGERDUTY_KEY_MESSAGE });

const WEBHOOK_MESSAGE =
  'expected a webhook URL: https://host/path (http:// only on the loopback interface: localhost, 127.0.0.1, [::1]), without a user name or password';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why a webhook URL is refused, or null. Exported for doctor, which checks PAGERDUTY_EVENTS_URL the same way. */
export function webhookUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return WEBHOOK_MESSAGE;
  }
  if (!/^https?:\/\/[^\s]+$/i.test(value) || url.hostname === '') return WEBHOOK_MESSAGE;
  // Alerts leave the machine in clear text only if the receiver is the machine itself.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return WEBHOOK_MESSAGE;
  if (url.username !== '' || url.password !== '') return WEBHOOK_MESSAGE;
  if (url.hash !== '') return `${WEBHOOK_MESSAGE}; no #fragment`;
  return null;
}

const webhookUrl = z.string({ error: WEBHOOK_MESSAGE }).superRefine((value, ctx) => {
  const problem = webhookUrlProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Routes of an alert rule. `pagerduty` and `webhook` are left out of the parsed config when not
 * given (absent means none), so a config without them reads exactly as before.
 */
export const alertRoutesSchema = z.strictObject({
  slack: z.array(slackChannel).default([]),
  email: z.array(emailAddress).default([]),
  pagerduty: z.array(pagerdutyRoutingKey).optional(),
  webhook: z.array(webhookUrl).optional(),
});
