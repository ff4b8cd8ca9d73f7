import { webhookUrlProblem } from '../config/route-fields.js';
import { WEBHOOK_SECRET_VARIABLE } from '../config/route-env.js';
import type { PulsebotConfig } from '../config/schema.js';
import { PAGERDUTY_EVENTS_URL } from '../delivery/pagerduty-transport.js';
import { routeRef, webhookDestination } from '../delivery/route-targets.js';
import { pagerdutyEventsUrl } from '../delivery/transports.js';
import { messageOf } from '../errors.js';
import type { CheckResult } from './check-result.js';

/**
 * The PagerDuty and webhook routes of the alert rules, checked without sending anything: keys of
 * the right shape, URLs pulsebot will post to, the webhook secret set. One line per route kind in
 * use; nothing for a kind no enabled rule uses. Keys and URLs are shown by their ref only.
 */

const PAGERDUTY_KEY = /^[A-Za-z0-9]{32}$/;
/** A shorter HMAC key is easy to guess offline from one signed body. */
const MIN_SECRET_CHARS = 16;

function used(config: PulsebotConfig, kind: 'pagerduty' | 'webhook'): Map<string, { value: string; rules: string[] }> {
  const out = new Map<string, { value: string; rules: string[] }>();
  for (const [name, rule] of Object.entries(config.alerts.rules)) {
    if (!rule.enabled) continue;
    for (const value of rule.routes[kind] ?? []) {
      const ref = routeRef(value);
      const entry = out.get(ref) ?? { value, rules: [] };
      if (!entry.rules.includes(name)) entry.rules.push(name);
      out.set(ref, entry);
    }
  }
  return out;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function checkPagerDuty(config: PulsebotConfig, env: NodeJS.ProcessEnv | undefined): CheckResult | null {
  const keys = used(config, 'pagerduty');
  if (keys.size === 0) return null;
  const bad = [...keys].filter(([, k]) => !PAGERDUTY_KEY.test(k.value));
  if (bad.length > 0) {
    return {
      name: 'pagerduty',
      status: 'fail',
      detail: `integration key ${bad.map(([ref, k]) => `${ref} (rules ${k.rules.join(', ')})`).join(', ')} is not 32 letters and digits`,
      fix: 'copy the Integration Key of the service’s Events API v2 integration into the variable the config names',
    };
  }
  let endpoint = PAGERDUTY_EVENTS_URL;
  const override = env?.PAGERDUTY_EVENTS_URL?.trim();
  if (override) {
    try {
      endpoint = pagerdutyEventsUrl(override);
    } catch (error) {
      return { name: 'pagerduty', status: 'fail', detail: messageOf(error), fix: 'fix or unset PAGERDUTY_EVENTS_URL' };
    }
  }
  const list = [...keys].map(([ref, k]) => `${ref} (${k.rules.join(', ')})`).join('; ');
  return {
    name: 'pagerduty',
    status: 'ok',
    detail: `${plural(keys.size, 'integration key')}: ${list}; events to ${new URL(endpoint).origin} (nothing sent by doctor)`,
  };
}

function checkWebhooks(config: PulsebotConfig, env: NodeJS.ProcessEnv | undefined): CheckResult | null {
  const urls = used(config, 'webhook');
  if (urls.size === 0) return null;
  const bad = [...urls].filter(([, u]) => webhookUrlProblem(u.value) !== null);
  if (bad.length > 0) {
    return {
      name: 'webhook',
      status: 'fail',
      detail: `webhook ${bad.map(([ref, u]) => `${ref} (rules ${u.rules.join(', ')})`).join(', ')}: ${webhookUrlProblem(bad[0]![1].value)}`,
    };
  }
  const list = [...urls].map(([, u]) => `${webhookDestination(u.value)} (${u.rules.join(', ')})`).join('; ');
  const detail = `${plural(urls.size, 'URL')}: ${list}`;
  if (env === undefined) return { name: 'webhook', status: 'ok', detail: `${detail} (the secret was not checked)` };
  const secret = env[WEBHOOK_SECRET_VARIABLE] ?? '';
  if (secret === '') {
    return {
      name: 'webhook',
      status: 'fail',
      detail: `${detail}; ${WEBHOOK_SECRET_VARIABLE} is not set, so nothing can be signed`,
      fix: `set ${WEBHOOK_SECRET_VARIABLE} (openssl rand -hex 32) and give the receivers the same value`,
    };
  }
  if ([...secret].length < MIN_SECRET_CHARS) {
    return {
      name: 'webhook',
      status: 'warn',
      detail: `${detail}; ${WEBHOOK_SECRET_VARIABLE} has fewer than ${MIN_SECRET_CHARS} characters`,
      fix: `use a long random secret (openssl rand -hex 32) and give the receivers the same value`,
    };
  }
  return { name: 'webhook', status: 'ok', detail: `${detail}; signed with ${WEBHOOK_SECRET_VARIABLE}` };
}

/** `env` absent (the demo): the checks that need the environment are skipped. */
export async function routeChecks(config: PulsebotConfig, env: NodeJS.ProcessEnv | undefined): Promise<CheckResult[]> {
  return [checkPagerDuty(config, env), checkWebhooks(config, env)].filter((r): r is CheckResult => r !== null);
}
