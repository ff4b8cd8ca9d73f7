import type { ScopeEvaluation } from './evaluate.js';
import type { NamedAlertRule, Severity } from './rules.js';

/**
 * The life of one alert (rule × scope), one evaluation at a time:
 *
 *   ok ──breach──► pending ──breach for pending_minutes──► firing ──recovered──► resolved ──► ok
 *    ▲                │                                       │ ▲
 *    └───not breach───┘                          still firing └─┘ (repeat every repeat_minutes)
 *
 * Only transitions notify: firing (once per episode), repeat, resolved. A pending breach that
 * clears says nothing. Hysteresis: firing ends only when the value is past the recovery
 * threshold; in between it keeps firing. Pure: `now` comes in, nothing is read or written.
 *
 * Silences and maintenance windows never stop the state from advancing; they only hold back
 * notifications:
 * - a firing that happened while silenced is sent once the silence is over, if still firing;
 * - a repeat due while silenced waits for the silence to end;
 * - a resolve is notified exactly when its firing was, silenced or not: it replies to and
 *   updates a message people saw, and an alert nobody was told about is not "resolved" to them.
 *
 * An acknowledged episode (someone pressed Acknowledge on its Slack message) repeats no more; it
 * still resolves, and a new episode starts unacknowledged.
 */

export type AlertStatus = 'ok' | 'pending' | 'firing' | 'resolved';

export interface AlertState {
  rule: string;
  scope: string;
  status: AlertStatus;
  /** When the current breach was first seen (the start of pending); null when ok or resolved. */
  breachSince: Date | null;
  /** When the current (or, once resolved, the last) episode began firing. */
  firingSince: Date | null;
  /** `rule|scope|firingSince`: stable for the episode, so its outbox keys are deterministic. */
  episodeId: string | null;
  /** When this episode's firing or latest repeat was notified; null while nobody was told. */
  lastNotifiedAt: Date | null;
  /** Repeats notified in this episode. */
  repeats: number;
  resolvedAt: Date | null;
  /** The last evaluation's value and time. */
  value: number | null;
  evaluatedAt: Date | null;
}

export interface AlertNotification {
  kind: 'firing' | 'repeat' | 'resolved';
  /** The outbox idempotency key: `alert:<episode>:firing`, `…:repeat:<n>`, `…:resolved`. */
  key: string;
  episodeId: string;
  rule: string;
  scope: string;
  severity: Severity;
  /** When the breach began (start of pending). */
  breachSince: Date;
  firingSince: Date;
  at: Date;
  /** For repeats: 1, 2, … */
  repeat: number | null;
  resolvedAt: Date | null;
  /** firingSince → resolvedAt, for resolved notifications. */
  durationMs: number | null;
  /** The values the decision was made on. */
  evaluation: ScopeEvaluation;
}

export interface StepResult {
  state: AlertState;
  notify: AlertNotification | null;
}

/** How the evaluation reads under the rule's no_data policy. */
type Reading = 'breach' | 'band' | 'clear' | 'hold';

function readingOf(evaluation: ScopeEvaluation, rule: NamedAlertRule): Reading {
  switch (evaluation.status) {
    case 'breach':
      return 'breach';
    case 'ok':
      return evaluation.recovered ? 'clear' : 'band';
    case 'low_volume':
      return 'hold';
    case 'no_data':
      return rule.no_data === 'alert' ? 'breach' : rule.no_data === 'ok' ? 'clear' : 'hold';
  }
}

function initialState(rule: string, scope: string): AlertState {
  return {
    rule,
    scope,
    status: 'ok',
    breachSince: null,
    firingSince: null,
    episodeId: null,
    lastNotifiedAt: null,
    repeats: 0,
    resolvedAt: null,
    value: null,
    evaluatedAt: null,
  };
}

export function episodeIdOf(rule: string, scope: string, firingSince: Date): string {
  return `${rule}|${scope}|${firingSince.toISOString()}`;
}

export function notificationKey(episodeId: string, kind: AlertNotification['kind'], repeat?: number): string {
  return kind === 'repeat' ? `alert:${episodeId}:repeat:${repeat}` : `alert:${episodeId}:${kind}`;
}

const MINUTE = 60_000;

export function step(
  state: AlertState | null,
  evaluation: ScopeEvaluation,
  rule: NamedAlertRule,
  now: Date,
  silenced: boolean,
  acknowledged = false,
): StepResult {
  if (evaluation.rule !== rule.name)
    throw new RangeError(`evaluation of rule ${evaluation.rule} stepped with rule ${rule.name}`);
  const prev = state ?? initialState(rule.name, evaluation.scope);
  if (prev.rule !== evaluation.rule || prev.scope !== evaluation.scope) {
    throw new RangeError(
      `state of ${prev.rule} ${prev.scope} stepped with an evaluation of ${evaluation.rule} ${evaluation.scope}`,
    );
  }
  if (prev.evaluatedAt && now < prev.evaluatedAt) {
    throw new RangeError(
      `time went backwards for ${prev.rule} ${prev.scope}: ${now.toISOString()} after ${prev.evaluatedAt.toISOString()}`,
    );
  }
  const reading = readingOf(evaluation, rule);
  const seen = { ...prev, value: evaluation.value, evaluatedAt: now };
  const notification = (s: AlertState, kind: AlertNotification['kind']): AlertNotification => ({
    kind,
    key: notificationKey(s.episodeId!, kind, s.repeats),
    episodeId: s.episodeId!,
    rule: s.rule,
    scope: s.scope,
    severity: rule.severity,
    breachSince: s.breachSince ?? s.firingSince!,
    firingSince: s.firingSince!,
    at: now,
    repeat: kind === 'repeat' ? s.repeats : null,
    resolvedAt: kind === 'resolved' ? now : null,
    durationMs: kind === 'resolved' ? now.getTime() - s.firingSince!.getTime() : null,
    evaluation,
  });

  switch (prev.status) {
    case 'ok':
    case 'resolved': {
      if (reading !== 'breach') return { state: { ...seen, status: 'ok' }, notify: null };
      const pending: AlertState = {
        ...seen,
        status: 'pending',
        breachSince: now,
        firingSince: null,
        episodeId: null,
        lastNotifiedAt: null,
        repeats: 0,
        resolvedAt: null,
      };
      return rule.pending_minutes === 0 ? fire(pending) : { state: pending, notify: null };
    }
    case 'pending': {
      if (reading === 'band' || reading === 'clear') {
        return { state: { ...seen, status: 'ok', breachSince: null }, notify: null };
      }
      // Low volume or no data under `keep` holds the pending period without confirming it.
      if (reading === 'hold') return { state: seen, notify: null };
      const lasted = now.getTime() - prev.breachSince!.getTime();
      return lasted >= rule.pending_minutes * MINUTE ? fire(seen) : { state: seen, notify: null };
    }
    case 'firing': {
      if (reading === 'clear') {
        const resolved: AlertState = { ...seen, status: 'resolved', breachSince: null, resolvedAt: now };
        return { state: resolved, notify: prev.lastNotifiedAt ? notification(prev, 'resolved') : null };
      }
      if (silenced) return { state: seen, notify: null };
      if (!prev.lastNotifiedAt) {
        const told: AlertState = { ...seen, lastNotifiedAt: now };
        return { state: told, notify: notification(told, 'firing') };
      }
      const due =
        rule.repeat_minutes !== null && now.getTime() - prev.lastNotifiedAt.getTime() >= rule.repeat_minutes * MINUTE;
      if (!due || acknowledged) return { state: seen, notify: null };
      const repeated: AlertState = { ...seen, lastNotifiedAt: now, repeats: prev.repeats + 1 };
      return { state: repeated, notify: notification(repeated, 'repeat') };
    }
  }

  function fire(from: AlertState): StepResult {
    const firing: AlertState = {
      ...from,
      status: 'firing',
      firingSince: now,
      episodeId: episodeIdOf(from.rule, from.scope, now),
      lastNotifiedAt: silenced ? null : now,
      repeats: 0,
      resolvedAt: null,
    };
    return { state: firing, notify: silenced ? null : notification(firing, 'firing') };
  }
}
