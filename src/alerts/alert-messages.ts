import type { TransactionSql } from '../db/connect.js';
import type { QueuedMessage } from '../delivery/types.js';
import { messageOf } from '../errors.js';
import { buildAlertMessage } from './message.js';
import { metricSeries, topContributors } from './queries.js';
import { alertPagerDutyMessages } from './render-pagerduty.js';
import { alertSlackMessage } from './render-slack.js';
import { alertWebhookMessages } from './render-webhook.js';
import type { NamedAlertRule } from './rules.js';
import { hasSparkline, renderSparkline, sparklineLabel, sparklineSpans, type RenderedSparkline } from './sparkline.js';
import type { AlertNotification } from './state-machine.js';
import type { PulsebotConfig } from '../config/schema.js';

/**
 * The messages of one notification, one per route. Contributors and the sparkline are extras:
 * when their query or the chart fails, the alert goes out without them.
 */
export async function messagesOf(
  tx: TransactionSql,
  deps: { config: PulsebotConfig; log: (event: Record<string, unknown>) => void; slackButtons?: boolean },
  o: { rule: NamedAlertRule; acknowledgement?: { userId: string; at: Date } | null },
  n: AlertNotification,
  now: Date,
): Promise<QueuedMessage[]> {
  const { config, log } = deps;
  const tz = config.alerts.timezone;
  const rule = o.rule;
  const leftOut = (what: string, error: unknown) =>
    log({
      level: 'warn',
      event: 'alerts.extra_failed',
      rule: rule.name,
      scope: n.scope,
      what,
      error: messageOf(error),
      message: `alert ${rule.name} ${n.scope}: ${what} left out: ${messageOf(error)}`,
    });
  const extra = async <T>(what: string, fallback: T, fn: (sp: TransactionSql) => Promise<T>): Promise<T> => {
    try {
      return (await tx.savepoint(fn)) as T;
    } catch (error) {
      leftOut(what, error);
      return fallback;
    }
  };

  const contributors =
    n.kind === 'resolved'
      ? []
      : await extra('top contributors', [], (sp) => topContributors(sp, rule, n.scope, now, tz));
  const series =
    n.kind !== 'resolved' && hasSparkline(rule.metric)
      ? await extra('sparkline data', [], (sp) => metricSeries(sp, rule, n.scope, sparklineSpans(rule, now, tz)))
      : [];
  const message = buildAlertMessage({
    rule,
    notification: { ...n, evaluation: { ...n.evaluation, contributors } },
    dashboardUrl: config.dashboard.url,
    series,
    acknowledgement: o.acknowledgement ?? null,
  });
  let sparkline: RenderedSparkline | null = null;
  if (series.length > 0) {
    try {
      sparkline = await renderSparkline(rule, series, sparklineLabel(rule.metric, message.where.label));
    } catch (error) {
      leftOut('sparkline', error);
    }
  }
  const slack = rule.routes.slack.map((channel) =>
    alertSlackMessage(message, channel, {
      timeZone: tz,
      metric: rule.metric,
      sparkline,
      actions: deps.slackButtons === true,
    }),
  );
  // MJML loads with the first alert email, not with the daemon.
  const { alertEmailMessages } = await import('./render-email.js');
  const email = await alertEmailMessages(message, rule.routes.email, {
    from: config.email.from,
    replyTo: config.email.reply_to,
    timeZone: tz,
    metric: rule.metric,
    sparkline,
  });
  const pagerdutyKeys = rule.routes.pagerduty ?? [];
  const pagerduty =
    pagerdutyKeys.length > 0
      ? alertPagerDutyMessages(message, pagerdutyKeys, { metric: rule.metric, source: await sourceOf(tx) })
      : [];
  const webhook = alertWebhookMessages(message, rule.routes.webhook ?? []);
  return [...slack, ...email, ...pagerduty, ...webhook];
}

/** PagerDuty's payload.source: the database whose traffic is judged, the same from every replica. */
async function sourceOf(tx: TransactionSql): Promise<string> {
  const [row] = await tx<{ name: string }[]>`select current_database() as name`;
  return `pulsebot: database ${row?.name ?? 'unknown'}`;
}
