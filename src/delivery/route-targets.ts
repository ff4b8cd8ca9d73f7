import { createHash } from 'node:crypto';
import type { PulsebotConfig } from '../config/schema.js';

/**
 * PagerDuty keys and webhook URLs are named in the outbox by a ref, never stored: the first 12
 * hex digits of their SHA-256. A ref cannot be turned back into a 32-character key, and it is
 * stable, so the key of an outbox row stays the same from one pass to the next.
 */
export function routeRef(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** Every PagerDuty key and webhook URL of the alert rules, by ref (disabled rules too: their queued messages still go). */
export function routeTargets(config: PulsebotConfig): { pagerduty: Map<string, string>; webhook: Map<string, string> } {
  const pagerduty = new Map<string, string>();
  const webhook = new Map<string, string>();
  for (const rule of Object.values(config.alerts.rules)) {
    for (const key of rule.routes.pagerduty ?? []) pagerduty.set(routeRef(key), key);
    for (const url of rule.routes.webhook ?? []) webhook.set(routeRef(url), url);
  }
  return { pagerduty, webhook };
}

/** "https://hooks.example.com (1a2b3c4d5e6f)": the host says where, the ref which URL, the path (which may hold a token) stays out. */
export function webhookDestination(url: string): string {
  return `${new URL(url).origin} (${routeRef(url)})`;
}

export function pagerdutyDestination(key: string): string {
  return `PagerDuty key ${routeRef(key)}`;
}
