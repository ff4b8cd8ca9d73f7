import { PulsebotError } from '../errors.js';
import { rememberCredential } from '../redact.js';
import type { PulsebotConfig } from './schema.js';
import { formatPath, type EnvOrigins } from './substitute.js';

/**
 * The checks on alert routes that need the environment, run once the config has parsed: a
 * PagerDuty integration key must come from `${VARIABLE}` (it is a secret, and config files are
 * committed and shared), and webhook routes need PULSEBOT_WEBHOOK_SECRET to sign with. Both keys
 * and the secret are remembered for redaction, so no log line, stored error or notice shows them.
 */

export const WEBHOOK_SECRET_VARIABLE = 'PULSEBOT_WEBHOOK_SECRET';

export function checkRouteEnvironment(
  config: PulsebotConfig,
  env: NodeJS.ProcessEnv,
  origins: EnvOrigins,
  file: string,
): void {
  let firstWebhook: string | null = null;
  for (const [name, rule] of Object.entries(config.alerts.rules)) {
    (rule.routes.pagerduty ?? []).forEach((key, i) => {
      rememberCredential({ secret: key });
      const path = formatPath(['alerts', 'rules', name, 'routes', 'pagerduty', i]);
      if (!origins.byPath.has(path)) {
        throw new PulsebotError(
          'CONFIG_INVALID',
          `${file}: ${path}: a PagerDuty integration key is a secret: write it as \${VARIABLE} and set that variable in the environment`,
          { hint: `for example \`pagerduty: ["\${PD_ROUTING_KEY}"]\` with PD_ROUTING_KEY set where pulsebot runs` },
        );
      }
    });
    if (firstWebhook === null && rule.enabled && (rule.routes.webhook ?? []).length > 0) {
      firstWebhook = formatPath(['alerts', 'rules', name, 'routes', 'webhook']);
    }
  }
  const secret = env[WEBHOOK_SECRET_VARIABLE];
  if (secret) rememberCredential({ secret });
  if (firstWebhook !== null && !secret) {
    throw new PulsebotError(
      'CONFIG_INVALID',
      `${file}: ${firstWebhook}: webhooks are signed with ${WEBHOOK_SECRET_VARIABLE}, which is not set`,
      {
        hint: `set ${WEBHOOK_SECRET_VARIABLE} to a long random string (openssl rand -hex 32) and give it to the receiver, which checks X-Pulsebot-Signature with it`,
      },
    );
  }
}
