import { createHash } from 'node:crypto';
import { pagerdutyDestination, routeRef } from '../delivery/route-targets.js';
import type { PagerDutyPayload, QueuedMessage } from '../delivery/types.js';
import { alertSummary } from './alert-summary.js';
import type { AlertMessage } from './message.js';
import type { AlertMetric, Severity } from './rules.js';
import { notificationKey } from './state-machine.js';

/**
 * An alert as PagerDuty Events API v2 events, one per integration key. Firing triggers and
 * resolved resolves, both under one dedup_key per episode (rule × scope × when it began firing),
 * so PagerDuty opens one incident and closes that one. A repeat sends nothing: the incident is
 * open already, and PagerDuty does its own re-notifying.
 */

/** pulsebot's severities map onto PagerDuty's by name; PagerDuty's `error` has no counterpart. */
const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

const MAX_DEDUP_KEY = 255;

/** The episode id when it fits PagerDuty's 255 characters (a long model name may not), else its hash. */
function dedupKeyOf(episodeId: string): string {
  return episodeId.length <= MAX_DEDUP_KEY
    ? episodeId
    : `pulsebot:sha256:${createHash('sha256').update(episodeId).digest('hex')}`;
}

export interface PagerDutyOptions {
  metric: AlertMetric;
  /** payload.source: the database pulsebot watches ("pulsebot on analytics"). */
  source: string;
}

const pagerdutyKey = (notificationKey: string, key: string) => `${notificationKey}:pagerduty:${routeRef(key)}`;

export function alertPagerDutyMessages(
  m: AlertMessage,
  keys: readonly string[],
  opts: PagerDutyOptions,
): QueuedMessage[] {
  if (m.kind === 'repeat') return [];
  return keys.map((key) => ({
    channel: 'pagerduty' as const,
    key: pagerdutyKey(m.key, key),
    payload: payloadOf(m, key, opts),
  }));
}

/**
 * An acknowledgement from Slack, passed on to the episode's PagerDuty incident: whoever pressed
 * Acknowledge is on it, so PagerDuty stops escalating. It waits for the trigger, like a resolve.
 */
export function pagerDutyAcknowledgements(
  alert: { episodeId: string; text: string },
  keys: readonly string[],
): QueuedMessage[] {
  const firingKey = notificationKey(alert.episodeId, 'firing');
  return keys.map((key) => ({
    channel: 'pagerduty' as const,
    key: pagerdutyKey(`alert:${alert.episodeId}:acknowledged`, key),
    payload: {
      routingKeyRef: routeRef(key),
      destination: pagerdutyDestination(key),
      text: alert.text,
      threadOfKey: pagerdutyKey(firingKey, key),
      event: { event_action: 'acknowledge', dedup_key: dedupKeyOf(alert.episodeId) },
    },
  }));
}

function payloadOf(m: AlertMessage, key: string, opts: PagerDutyOptions): PagerDutyPayload {
  const summary = alertSummary(m);
  const base = {
    routingKeyRef: routeRef(key),
    destination: pagerdutyDestination(key),
    text: summary,
  };
  const dedup_key = dedupKeyOf(m.episodeId);
  if (m.kind === 'resolved') {
    return {
      ...base,
      // The resolve waits for its trigger, so PagerDuty never sees them the other way round.
      ...(m.updatesKey ? { threadOfKey: pagerdutyKey(m.updatesKey, key) } : {}),
      event: { event_action: 'resolve', dedup_key },
    };
  }
  const { dimension, value } = m.where;
  const links = [
    ...(m.links.dashboard ? [{ href: m.links.dashboard, text: 'Dashboard' }] : []),
    ...(m.links.runbook ? [{ href: m.links.runbook, text: 'Runbook' }] : []),
  ];
  return {
    ...base,
    event: {
      event_action: 'trigger',
      dedup_key,
      payload: {
        summary,
        source: opts.source,
        severity: PAGERDUTY_SEVERITY[m.severity],
        timestamp: m.firingSince.toISOString(),
        ...((dimension === 'provider' || dimension === 'model') && value !== null ? { component: value } : {}),
        ...(dimension === 'service_type' && value !== null ? { group: value } : {}),
        class: opts.metric,
        custom_details: {
          rule: m.rule,
          scope: m.where.label,
          condition: m.what,
          value: m.howBad.valueText,
          threshold: m.howBad.thresholdText,
          comparison: m.howBad.comparison,
          volume: m.howBad.requests,
          breach_since: m.since.toISOString(),
          top_contributors: m.contributors.map((c) => c.text),
        },
      },
      client: 'pulsebot',
      ...(m.links.dashboard ? { client_url: m.links.dashboard } : {}),
      // The sparkline is a PNG in the outbox, with no URL PagerDuty could show: no images.
      ...(links.length > 0 ? { links } : {}),
    },
  };
}
