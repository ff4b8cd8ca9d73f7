import type { PulsebotConfig } from '../config/schema.js';
import { assertCompleteVisibility } from '../db/visibility.js';
import type { Sql, TransactionSql } from '../db/connect.js';
import { deliverConfigOf } from '../delivery/deliver-config.js';
import { deliverDue, type DeliverResult } from '../delivery/dispatch.js';
import { enqueueIn } from '../delivery/outbox.js';
import type {
  EmailPayload,
  PagerDutyPayload,
  QueuedMessage,
  SlackPayload,
  Transport,
  WebhookPayload,
} from '../delivery/types.js';
import { messageOf } from '../errors.js';
import { evaluateRule, type EvaluationStatus, type ScopeEvaluation } from './evaluate.js';
import { acknowledgementsOf, endEpisodeSilences, pruneActions } from './action-store.js';
import { messagesOf } from './alert-messages.js';
import type { Acknowledgement } from './slack-actions.js';
import { formatMetric } from './message.js';
import { observeRule } from './queries.js';
import { enabledRules, parseScopeKey, type NamedAlertRule } from './rules.js';
import { suppressionOf, type Suppression } from './silences.js';
import { step, type AlertNotification, type AlertState, type AlertStatus } from './state-machine.js';
import {
  currentSilences,
  forgetStates,
  loadStates,
  pruneEvents,
  recordEvents,
  saveStates,
  stateKey,
  tryPassLock,
  type AlertEvent,
} from './store.js';

/**
 * One evaluation pass: load the alerts' states, measure every enabled rule, judge, step each
 * alert's state machine (silences from the database, maintenance windows from the config), then
 * in ONE transaction write the new states, log the transitions and queue a message per route for
 * each notification, under keys derived from the notification. After the commit, deliver.
 *
 * So a pass that dies before its commit changes nothing and the next pass does the same work
 * again; a pass that commits has queued exactly its messages; and a second pass at the same
 * `now` finds nothing to say. Only one pass runs at a time across replicas: the transaction
 * takes an advisory lock and a pass that cannot get it skips.
 */

export type AlertsLog = (event: Record<string, unknown>) => void;

export interface EvaluateAlertsDeps {
  sql: Sql;
  config: PulsebotConfig;
  /** `files`: where failure notices without a failure route are written (the file outbox). */
  transports: {
    slack: Transport<SlackPayload>;
    email: Transport<EmailPayload>;
    files?: { email: Transport<EmailPayload> };
    pagerduty?: Transport<PagerDutyPayload>;
    webhook?: Transport<WebhookPayload>;
  };
  now: () => Date;
  log: AlertsLog;
  /** One-shot commands: retry transient failures within the run this long (DeliverDeps.inlineRetryMs). */
  inlineRetryMs?: number;
  /** Acknowledge and Silence buttons on Slack alerts: SLACK_APP_TOKEN is set, so a daemon handles them. */
  slackButtons?: boolean;
}

export interface AlertSummary {
  rule: string;
  scope: string;
  status: AlertStatus;
  evaluation: EvaluationStatus;
  value: number | null;
  valueText: string;
  /** The breach line ("95.0%"; for change conditions ratio × baseline), or "–" without one. */
  thresholdText: string;
  requests: number;
  notified: AlertNotification['kind'] | null;
  /** Why a notification was held back: "silence 12" or "maintenance <name>". */
  suppressedBy: string | null;
  /** The Slack user who acknowledged the firing episode. */
  acknowledgedBy: string | null;
}

export interface AlertsPassResult {
  /** Another pass held the lock: nothing was evaluated. */
  skipped: boolean;
  evaluated: number;
  notifications: number;
  /** "rule scope" of every alert firing after the pass. */
  firing: string[];
  alerts: AlertSummary[];
  /** Rules whose measurement failed this pass (logged; their alerts keep their state). */
  failedRules: string[];
  queued: { inserted: number; existing: number };
  delivered: DeliverResult | null;
}

interface Outcome {
  rule: NamedAlertRule;
  evaluation: ScopeEvaluation;
  prev: AlertState | null;
  state: AlertState;
  notify: AlertNotification | null;
  suppression: Suppression | null;
  acknowledgement: Acknowledgement | null;
}

/** How long an ok or resolved alert is remembered after it was last evaluated. */
const FORGET_QUIET_AFTER_MS = 7 * 86_400_000;
/** How long the transition log is kept. */
const KEEP_EVENTS_MS = 90 * 86_400_000;

export async function evaluateAlerts(
  deps: EvaluateAlertsDeps,
  opts: { dryRun?: boolean } = {},
): Promise<AlertsPassResult> {
  const now = deps.now();
  // An alert judged on part of the rows would page for nothing, or stay quiet through an outage.
  await assertCompleteVisibility(deps.sql);
  if (opts.dryRun) {
    const outcomes = await decide(deps.sql, null, deps, now);
    return summarise(outcomes.list, outcomes.failedRules, { inserted: 0, existing: 0 }, null);
  }

  const committed = await deps.sql.begin(async (tx) => {
    if (!(await tryPassLock(tx))) return null;
    const { list, failedRules, stale, staleEpisodes } = await decide(tx, tx, deps, now);
    const messages: QueuedMessage[] = [];
    for (const o of list) if (o.notify) messages.push(...(await messagesOf(tx, deps, o, o.notify, now)));
    await saveStates(
      tx,
      list.map((o) => o.state),
      now,
    );
    await recordEvents(
      tx,
      list.flatMap((o) => eventOf(o, now) ?? []),
    );
    const forgotten = await forgetStates(tx, { stale, quietBefore: new Date(now.getTime() - FORGET_QUIET_AFTER_MS) });
    // "Silence until resolved" ends with its episode (or with a state nobody evaluates any more).
    await endEpisodeSilences(tx, [...endedEpisodes(list), ...staleEpisodes], now);
    await pruneEvents(tx, new Date(now.getTime() - KEEP_EVENTS_MS));
    await pruneActions(tx, new Date(now.getTime() - KEEP_EVENTS_MS));
    for (const f of forgotten.filter((x) => x.status === 'firing' || x.status === 'pending')) {
      deps.log({
        level: 'warn',
        event: 'alerts.forgotten',
        rule: f.rule,
        scope: f.scope,
        status: f.status,
        message: `alert ${f.rule} ${f.scope} was ${f.status}; its rule is gone or disabled, so it is dropped without a resolve`,
      });
    }
    const queued = await enqueueIn(tx, messages, { kind: 'alert', now });
    return { list, failedRules, queued, messages: messages.length };
  });

  if (!committed) {
    deps.log({ level: 'debug', event: 'alerts.skipped', message: 'another evaluation pass holds the lock' });
    return {
      skipped: true,
      evaluated: 0,
      notifications: 0,
      firing: [],
      alerts: [],
      failedRules: [],
      queued: { inserted: 0, existing: 0 },
      delivered: null,
    };
  }
  for (const o of committed.list) {
    if (o.notify)
      deps.log({
        level: 'info',
        event: 'alerts.notify',
        rule: o.notify.rule,
        scope: o.notify.scope,
        kind: o.notify.kind,
        key: o.notify.key,
        message: `${o.notify.kind}: ${o.notify.rule} ${o.notify.scope}`,
      });
  }
  const delivered = committed.messages > 0 ? await deliver(deps) : null;
  return summarise(committed.list, committed.failedRules, committed.queued, delivered);
}

/**
 * Measures, judges and steps every alert. With a transaction, each rule's queries run in a
 * savepoint, so one rule's failing query (a statement timeout) leaves the others' work intact.
 */
async function decide(db: Sql | TransactionSql, tx: TransactionSql | null, deps: EvaluateAlertsDeps, now: Date) {
  const { alerts } = deps.config;
  const rules = enabledRules(alerts.rules);
  const states = await loadStates(db);
  const silences = await currentSilences(db, now);
  const acknowledgements = await acknowledgementsOf(
    db,
    [...states.values()].flatMap((s) => (s.status === 'firing' && s.episodeId ? [s.episodeId] : [])),
  );
  const list: Outcome[] = [];
  const failedRules: string[] = [];

  for (const rule of rules) {
    let evaluations: ScopeEvaluation[];
    try {
      const observations = tx
        ? await tx.savepoint((sp) => observeRule(sp, rule, now, alerts.timezone))
        : await observeRule(db, rule, now, alerts.timezone);
      const open = [...states.values()]
        .filter((s) => s.rule === rule.name && (s.status === 'pending' || s.status === 'firing'))
        .map((s) => s.scope);
      evaluations = evaluateRule(rule, observations, now, open);
    } catch (error) {
      failedRules.push(rule.name);
      deps.log({
        level: 'error',
        event: 'alerts.rule_failed',
        rule: rule.name,
        error: messageOf(error),
        message: `rule ${rule.name} could not be evaluated: ${messageOf(error)}`,
      });
      continue;
    }
    for (const evaluation of evaluations) {
      const prev = states.get(stateKey(rule.name, evaluation.scope)) ?? null;
      if (prev?.evaluatedAt && prev.evaluatedAt > now) {
        // Another replica with a clock ahead of ours evaluated it later; stepping back in time would corrupt the episode.
        deps.log({
          level: 'warn',
          event: 'alerts.clock_behind',
          rule: rule.name,
          scope: evaluation.scope,
          evaluatedAt: prev.evaluatedAt.toISOString(),
          now: now.toISOString(),
        });
        continue;
      }
      const suppression = suppressionOf(silences, alerts.maintenance_windows, rule.name, evaluation.scope, now);
      const acknowledgement = (prev?.status === 'firing' && acknowledgements.get(prev.episodeId ?? '')) || null;
      const { state, notify } = step(prev, evaluation, rule, now, suppression !== null, acknowledgement !== null);
      list.push({ rule, evaluation, prev, state, notify, suppression, acknowledgement });
    }
  }

  // States nobody evaluates any more: rules that were removed or disabled, or whose scope changed.
  const byName = new Map(rules.map((r) => [r.name, r]));
  const staleStates = [...states.values()].filter((s) => {
    const rule = byName.get(s.rule);
    return !rule || scopeDimension(s.scope) !== rule.scope;
  });
  const stale = staleStates.map((s) => ({ rule: s.rule, scope: s.scope }));
  const staleEpisodes = staleStates.flatMap((s) => (s.status === 'firing' && s.episodeId ? [s.episodeId] : []));
  return { list, failedRules, stale, staleEpisodes };
}

/** Episodes that stopped firing in this pass. */
function endedEpisodes(list: readonly Outcome[]): string[] {
  return list.flatMap((o) =>
    o.prev?.status === 'firing' && o.state.status !== 'firing' && o.prev.episodeId ? [o.prev.episodeId] : [],
  );
}

function scopeDimension(key: string): string | null {
  try {
    return parseScopeKey(key).scope;
  } catch {
    // An unreadable stored scope matches no rule: a stale state, forgotten (and logged if it was firing).
    return null;
  }
}

const suppressedBy = (s: Suppression | null) =>
  s === null ? null : s.kind === 'silence' ? `silence ${s.silence.id}` : `maintenance ${s.window.name}`;

function eventOf(o: Outcome, now: Date): AlertEvent | null {
  const from = o.prev?.status ?? 'ok';
  if (from === o.state.status && !o.notify) return null;
  const heldBack = o.state.status === 'firing' && !o.notify && o.suppression !== null;
  return {
    rule: o.rule.name,
    scope: o.evaluation.scope,
    at: now,
    from,
    to: o.state.status,
    episodeId: o.state.episodeId,
    value: o.evaluation.value,
    threshold: o.evaluation.threshold,
    requests: o.evaluation.requests,
    notification: o.notify?.kind ?? null,
    notificationKey: o.notify?.key ?? null,
    suppressedBy: heldBack ? suppressedBy(o.suppression) : null,
  };
}

async function deliver(deps: EvaluateAlertsDeps): Promise<DeliverResult> {
  const { files } = deps.transports;
  return deliverDue({
    sql: deps.sql,
    transports: deps.transports,
    now: deps.now,
    log: deps.log,
    config: deliverConfigOf(deps.config),
    ...(files ? { files } : {}),
    inlineRetryMs: deps.inlineRetryMs,
  });
}

function summarise(
  list: Outcome[],
  failedRules: string[],
  queued: AlertsPassResult['queued'],
  delivered: DeliverResult | null,
): AlertsPassResult {
  const alerts = list.map(
    (o): AlertSummary => ({
      rule: o.rule.name,
      scope: o.evaluation.scope,
      status: o.state.status,
      evaluation: o.evaluation.status,
      value: o.evaluation.value,
      valueText: formatMetric(o.rule.metric, o.evaluation.value),
      thresholdText: o.evaluation.threshold === null ? '–' : formatMetric(o.rule.metric, o.evaluation.threshold),
      requests: o.evaluation.requests,
      notified: o.notify?.kind ?? null,
      suppressedBy: o.state.status === 'firing' || o.state.status === 'pending' ? suppressedBy(o.suppression) : null,
      acknowledgedBy: o.state.status === 'firing' ? (o.acknowledgement?.userId ?? null) : null,
    }),
  );
  return {
    skipped: false,
    evaluated: alerts.length,
    notifications: list.filter((o) => o.notify).length,
    firing: alerts.filter((a) => a.status === 'firing').map((a) => `${a.rule} ${a.scope}`),
    alerts,
    failedRules,
    queued,
    delivered,
  };
}
