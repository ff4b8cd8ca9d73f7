import { routeRef, webhookDestination } from '../delivery/route-targets.js';
import type { QueuedMessage } from '../delivery/types.js';
import { alertSummary } from './alert-summary.js';
import type { AlertMessage } from './message.js';

/**
 * An alert as the webhook body, version 1 (docs/alert-routes.md), one message per URL. Firing,
 * repeat and resolved all go out; repeats and resolves wait for their firing message. The
 * transport adds `sent_at` and signs the body.
 */

const WEBHOOK_BODY_VERSION = 1;

const webhookKey = (notificationKey: string, url: string) => `${notificationKey}:webhook:${routeRef(url)}`;

function webhookBody(m: AlertMessage): Record<string, unknown> {
  return {
    version: WEBHOOK_BODY_VERSION,
    id: m.key,
    event: m.kind,
    state: m.kind === 'resolved' ? 'resolved' : 'firing',
    rule: m.rule,
    severity: m.severity,
    scope: { key: m.where.scope, dimension: m.where.dimension, value: m.where.value, label: m.where.label },
    value: m.howBad.value,
    value_text: m.howBad.valueText,
    threshold: m.howBad.threshold,
    threshold_text: m.howBad.thresholdText,
    comparison: m.howBad.comparison,
    volume: m.howBad.requests,
    since: m.since.toISOString(),
    firing_since: m.firingSince.toISOString(),
    resolved_at: m.resolved ? m.resolved.at.toISOString() : null,
    episode: m.episodeId,
    title: m.title,
    summary: alertSummary(m),
    contributors: m.contributors.map((c) => ({ kind: c.kind, name: c.name, count: c.count, share: c.share })),
    dashboard_url: m.links.dashboard,
    runbook_url: m.links.runbook,
  };
}

export function alertWebhookMessages(m: AlertMessage, urls: readonly string[]): QueuedMessage[] {
  const body = webhookBody(m);
  return urls.map((url) => ({
    channel: 'webhook' as const,
    key: webhookKey(m.key, url),
    payload: {
      urlRef: routeRef(url),
      destination: webhookDestination(url),
      text: alertSummary(m),
      ...(m.replyToKey ? { threadOfKey: webhookKey(m.replyToKey, url) } : {}),
      body,
    },
  }));
}
