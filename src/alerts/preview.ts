import type { PulsebotConfig } from '../config/schema.js';
import type { Sql, TransactionSql } from '../db/connect.js';
import type { EmailPayload, SlackPayload } from '../delivery/types.js';
import { PulsebotError, messageOf } from '../errors.js';
import { evaluateRule, evaluateScope, type Contributor, type Observation, type ScopeEvaluation } from './evaluate.js';
import { buildAlertMessage, type AlertMessage, type SparkPoint } from './message.js';
import { syntheticBreach, syntheticRecovery } from './preview-values.js';
import { rawScopeValue } from './queries-baseline.js';
import { metricSeries, observeRule, topContributors } from './queries.js';
import { alertSlackMessage } from './render-slack.js';
import { enabledRules, scopeKey, type NamedAlertRule } from './rules.js';
import { hasSparkline, renderSparkline, sparklineLabel, sparklineSpans, type RenderedSparkline } from './sparkline.js';
import { step, type AlertNotification, type AlertState } from './state-machine.js';

/**
 * `pulsebot alerts --preview`: each rule's firing and resolved messages, built by the same
 * code that sends them (message.ts, render-slack.ts, render-email.ts, sparkline.ts), from the
 * data where the rule breaches now and from a labelled synthetic breach where it does not.
 * Reads in one read-only transaction; stores, queues and sends nothing.
 */

const SYNTHETIC_BREACH = 'preview: synthetic breach';
const SYNTHETIC_RECOVERY = 'preview: synthetic recovery';

/** The resolve preview's episode: fired this long before now, resolved now. */
const PREVIEW_EPISODE_MS = 45 * 60_000;
/** A scope for a synthetic breach: the busiest value over this span. */
const TRAFFIC_LOOKBACK_MS = 24 * 3_600_000;
const MINUTE = 60_000;
/** Shown, never sent: the routes of a rule without one. */
const PREVIEW_CHANNEL = '#preview';
const PREVIEW_RECIPIENT = 'preview@example.invalid';

export interface AlertPreviewMessage {
  kind: 'firing' | 'resolved';
  /** Whether the value is the data's or made up (and labelled so in the message). */
  value: 'current data' | 'synthetic';
  title: string;
  slack: SlackPayload;
  email: EmailPayload;
}

export interface AlertPreview {
  rule: NamedAlertRule;
  scope: string;
  /** "breaching now" or why the breach is synthetic. */
  basis: string;
  firing: AlertPreviewMessage;
  resolved: AlertPreviewMessage;
  /** Things a reader of the preview should know (no email route, a left-out sparkline). */
  notes: string[];
}

export interface AlertPreviewDeps {
  sql: Sql;
  config: PulsebotConfig;
  now: Date;
  /** Show the Acknowledge and Silence buttons (SLACK_APP_TOKEN is set). */
  slackButtons?: boolean;
}

/** What the database says about one rule, read inside the transaction. */
interface Measured {
  rule: NamedAlertRule;
  scope: string;
  /** Why a synthetic breach is placed in this scope ("the busiest over the last day"). */
  scopeWhy: string | null;
  breaching: ScopeEvaluation | null;
  observed: Observation | null;
  current: ScopeEvaluation | null;
  contributors: Contributor[];
  series: SparkPoint[];
  notes: string[];
}

/** The rules to preview: every enabled one, or the one named (enabled or not). */
export function rulesToPreview(config: PulsebotConfig, name?: string): NamedAlertRule[] {
  const all = config.alerts.rules;
  if (name === undefined) return enabledRules(all);
  const rule = all[name];
  if (!rule) {
    const names = Object.entries(all)
      .map(([n, r]) => (r.enabled ? n : `${n} (disabled)`))
      .sort();
    throw new PulsebotError('USAGE', `no alert rule named "${name}"`, {
      hint: `configured rules: ${names.join(', ') || 'none'}`,
    });
  }
  return [{ name, ...rule }];
}

export async function buildAlertPreviews(deps: AlertPreviewDeps, ruleName?: string): Promise<AlertPreview[]> {
  const rules = rulesToPreview(deps.config, ruleName);
  // Read-only: the database itself refuses a write from here.
  const measured = await deps.sql.begin('read only', async (tx) => {
    const out: Measured[] = [];
    for (const rule of rules) out.push(await measure(tx, rule, deps));
    return out;
  });
  const previews: AlertPreview[] = [];
  for (const m of measured) previews.push(await previewOf(m, deps));
  return previews;
}

/** A rule's window breaches as the state machine reads it: past the threshold, or no data under `alert`. */
function breaches(e: ScopeEvaluation, rule: NamedAlertRule): boolean {
  return e.status === 'breach' || (e.status === 'no_data' && rule.no_data === 'alert');
}

function recovers(e: ScopeEvaluation, rule: NamedAlertRule): boolean {
  return (e.status === 'ok' && e.recovered) || (e.status === 'no_data' && rule.no_data === 'ok');
}

async function measure(tx: TransactionSql, rule: NamedAlertRule, deps: AlertPreviewDeps): Promise<Measured> {
  const { now } = deps;
  const tz = deps.config.alerts.timezone;
  const notes: string[] = [];
  let observations = new Map<string, Observation>();
  let evaluations: ScopeEvaluation[] = [];
  try {
    observations = (await tx.savepoint((sp) => observeRule(sp, rule, now, tz))) as Map<string, Observation>;
    evaluations = evaluateRule(rule, observations, now);
  } catch (error) {
    notes.push(`The rule could not be measured (${messageOf(error)}): its breach is synthetic.`);
  }
  const breaching = evaluations
    .filter((e) => breaches(e, rule))
    .sort((a, b) => b.requests - a.requests || (a.scope < b.scope ? -1 : 1))[0];
  const extra = async <T>(what: string, fallback: T, fn: (sp: TransactionSql) => Promise<T>): Promise<T> => {
    try {
      return (await tx.savepoint(fn)) as T;
    } catch (error) {
      notes.push(`${what} left out: ${messageOf(error)}`);
      return fallback;
    }
  };
  const placed = breaching
    ? { scope: breaching.scope, why: null }
    : rule.scope === 'all'
      ? { scope: 'all', why: null }
      : await extra('The busiest scope', { scope: scopeKey(rule.scope, 'example'), why: 'a placeholder' }, (sp) =>
          busiestScope(sp, rule, observations, now),
        );
  const scope = placed.scope;
  const contributors = breaching
    ? await extra('Top contributors', [], (sp) => topContributors(sp, rule, scope, now, tz))
    : [];
  const series = hasSparkline(rule.metric)
    ? await extra('Sparkline data', [], (sp) => metricSeries(sp, rule, scope, sparklineSpans(rule, now, tz)))
    : [];
  return {
    rule,
    scope,
    scopeWhy: placed.why,
    breaching: breaching ?? null,
    observed: observations.get(scope) ?? null,
    current: evaluations.find((e) => e.scope === scope) ?? null,
    contributors,
    series,
    notes,
  };
}

/**
 * Where a synthetic breach of a scoped rule is placed: the scope value with the most requests in
 * the rule's window, else over the last day, else a placeholder (an empty table).
 */
async function busiestScope(
  tx: TransactionSql,
  rule: NamedAlertRule,
  observations: ReadonlyMap<string, Observation>,
  now: Date,
): Promise<{ scope: string; why: string }> {
  const inWindow = [...observations.entries()]
    .filter(([, o]) => o.requests > 0)
    .sort(([ka, a], [kb, b]) => b.requests - a.requests || (ka < kb ? -1 : 1))[0];
  if (inWindow) return { scope: inWindow[0], why: "the busiest in the rule's window" };
  const start = new Date(now.getTime() - TRAFFIC_LOOKBACK_MS);
  const [top] = await tx<{ v: string }[]>`
    select ${rawScopeValue(tx, rule.scope)} as v
    from pulsebot.usage_rows(${start}, ${now}) a
    group by 1 order by count(*) desc, 1 limit 1`;
  return top
    ? { scope: scopeKey(rule.scope, top.v), why: 'the busiest over the last day' }
    : { scope: scopeKey(rule.scope, 'example'), why: 'a placeholder: no traffic over the last day' };
}

async function previewOf(m: Measured, deps: AlertPreviewDeps): Promise<AlertPreview> {
  const { rule, scope, now } = { ...m, now: deps.now };
  const notes = [...m.notes];
  const synthetic = m.breaching === null;
  const breach = m.breaching ?? evaluateScope(rule, scope, syntheticBreach(rule, m.observed), now);
  const realRecovery = m.current && recovers(m.current, rule) ? m.current : null;
  const recovery = realRecovery ?? evaluateScope(rule, scope, syntheticRecovery(rule, m.observed), now);

  const firing = notify(rule, breach, now, null);
  const firedAt = new Date(now.getTime() - PREVIEW_EPISODE_MS);
  const resolved = notify(rule, recovery, now, notify(rule, { ...breach, at: firedAt }, firedAt, null).state);

  const series = synthetic && m.series.length ? [...m.series.slice(0, -1), { at: now, value: breach.value }] : m.series;
  const firingMessage = label(
    buildAlertMessage({
      rule,
      notification: { ...firing.notify, evaluation: { ...firing.notify.evaluation, contributors: m.contributors } },
      dashboardUrl: deps.config.dashboard.url,
      series,
    }),
    synthetic ? SYNTHETIC_BREACH : null,
  );
  const resolvedMessage = label(
    buildAlertMessage({
      rule,
      notification: { ...resolved.notify, evaluation: { ...resolved.notify.evaluation, contributors: [] } },
      dashboardUrl: deps.config.dashboard.url,
    }),
    realRecovery ? null : SYNTHETIC_RECOVERY,
  );

  let sparkline: RenderedSparkline | null = null;
  if (series.length > 0) {
    try {
      sparkline = await renderSparkline(rule, series, sparklineLabel(rule.metric, firingMessage.where.label));
    } catch (error) {
      notes.push(`Sparkline left out: ${messageOf(error)}`);
    }
  }
  if (rule.routes.slack.length === 0) notes.push(`No Slack route: shown as it would look in ${PREVIEW_CHANNEL}.`);
  if (rule.routes.email.length === 0) notes.push('No email route: the rule sends no email; shown as it would look.');
  if (!rule.enabled) notes.push('The rule is disabled: it sends nothing.');

  return {
    rule,
    scope,
    basis: synthetic
      ? `nothing breaches now: a synthetic breach${m.scopeWhy ? ` of ${scope} (${m.scopeWhy})` : ''}`
      : `breaching now${scope === 'all' ? '' : ` (${scope})`}`,
    firing: await render(firingMessage, rule, deps, sparkline, synthetic ? 'synthetic' : 'current data'),
    resolved: await render(resolvedMessage, rule, deps, null, realRecovery ? 'current data' : 'synthetic'),
    notes,
  };
}

/**
 * The state machine's own notification for a breach at `now` (from a pending breach as long as
 * pending_minutes, so it fires) or, given the firing state, for the recovery that resolves it.
 */
function notify(
  rule: NamedAlertRule,
  e: ScopeEvaluation,
  now: Date,
  firingState: AlertState | null,
): { state: AlertState; notify: AlertNotification } {
  const from = firingState ?? pendingSince(rule, e, new Date(now.getTime() - rule.pending_minutes * MINUTE));
  const result = step(from, e, rule, now, false);
  if (!result.notify) {
    const what = firingState ? `resolve at ${e.value}` : `fire at ${e.value}`;
    throw new PulsebotError('INTERNAL', `rule ${rule.name} does not ${what} (${e.status}): nothing to preview`);
  }
  return { state: result.state, notify: result.notify };
}

function pendingSince(rule: NamedAlertRule, e: ScopeEvaluation, since: Date): AlertState | null {
  if (rule.pending_minutes === 0) return null;
  return {
    rule: rule.name,
    scope: e.scope,
    status: 'pending',
    breachSince: since,
    firingSince: null,
    episodeId: null,
    lastNotifiedAt: null,
    repeats: 0,
    resolvedAt: null,
    value: e.value,
    evaluatedAt: since,
  };
}

/** A made-up value says so in the title (Slack header, email subject) and next to the number. */
function label(m: AlertMessage, text: string | null): AlertMessage {
  if (text === null) return m;
  return {
    ...m,
    title: `[${text}] ${m.title}`,
    howBad: { ...m.howBad, comparison: `${m.howBad.comparison} (${text})` },
  };
}

async function render(
  m: AlertMessage,
  rule: NamedAlertRule,
  deps: AlertPreviewDeps,
  sparkline: RenderedSparkline | null,
  value: AlertPreviewMessage['value'],
): Promise<AlertPreviewMessage> {
  const { config } = deps;
  const tz = config.alerts.timezone;
  const slack = alertSlackMessage(m, rule.routes.slack[0] ?? PREVIEW_CHANNEL, {
    timeZone: tz,
    metric: rule.metric,
    sparkline,
    actions: deps.slackButtons === true,
  });
  const { alertEmailMessages } = await import('./render-email.js');
  const [email] = await alertEmailMessages(m, [rule.routes.email[0] ?? PREVIEW_RECIPIENT], {
    from: config.email.from,
    replyTo: config.email.reply_to,
    timeZone: tz,
    metric: rule.metric,
    sparkline,
  });
  if (slack.channel !== 'slack' || email?.channel !== 'email') throw new Error('alert renderers changed channel');
  return {
    kind: m.kind === 'resolved' ? 'resolved' : 'firing',
    value,
    title: m.title,
    slack: slack.payload,
    email: email.payload,
  };
}
