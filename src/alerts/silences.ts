import { Cron } from 'croner';
import type { MaintenanceWindow } from './rules.js';

/**
 * Whether an alert's notifications are held back right now: by a silence (`pulsebot silence
 * add`, stored in the database, read by the caller) or by a maintenance window from the config.
 * Pure: the caller passes the silences and `now`.
 */

export interface Silence {
  id: string;
  /**
   * Both given: that rule's alert on that scope. Only `rule`: every scope of the rule. Only
   * `scope` ("provider=openai"): every rule's alert on that exact scope key. Neither: everything
   * (the CLI should make that explicit to create).
   */
  matchers: { rule?: string; scope?: string };
  /** Active from starts_at (inclusive) to ends_at (exclusive). */
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
}

function silenceMatches(silence: Silence, rule: string, scope: string, now: Date): boolean {
  const active = silence.starts_at.getTime() <= now.getTime() && now.getTime() < silence.ends_at.getTime();
  const { rule: r, scope: s } = silence.matchers;
  return active && (r === undefined || r === rule) && (s === undefined || s === scope);
}

/** The active silence covering this alert that lasts longest (what to name in logs), or null. */
export function matchingSilence(silences: readonly Silence[], rule: string, scope: string, now: Date): Silence | null {
  let best: Silence | null = null;
  for (const s of silences) {
    if (silenceMatches(s, rule, scope, now) && (!best || s.ends_at > best.ends_at)) best = s;
  }
  return best;
}

export function isSilenced(silences: readonly Silence[], rule: string, scope: string, now: Date): boolean {
  return matchingSilence(silences, rule, scope, now) !== null;
}

/**
 * The occurrence of a window that contains `now` (start inclusive, end exclusive), or null. A
 * recurring window opens at each run of its cron in its own time zone, so "0 2 * * 0" in
 * Europe/Berlin is 02:00 Berlin time whatever the season.
 */
export function windowOccurrence(window: MaintenanceWindow, now: Date): { start: Date; end: Date } | null {
  if ('start' in window) {
    return window.start.getTime() <= now.getTime() && now.getTime() < window.end.getTime()
      ? { start: window.start, end: window.end }
      : null;
  }
  const span = window.duration_minutes * 60_000;
  // The latest opening at or before now (runs before now + 1 ms); if it is still open, so is the
  // window, and no earlier opening ends later. A fresh options object each time: croner writes
  // its defaults into the one it is given.
  const [opened] = new Cron(window.cron, { timezone: window.timezone, paused: true }).previousRuns(
    1,
    new Date(now.getTime() + 1),
  );
  if (!opened || opened.getTime() + span <= now.getTime()) return null;
  return { start: opened, end: new Date(opened.getTime() + span) };
}

/** The open maintenance window that covers a rule (ending last), with its current occurrence. */
export function activeMaintenance(
  windows: readonly MaintenanceWindow[],
  rule: string,
  now: Date,
): { window: MaintenanceWindow; start: Date; end: Date } | null {
  let best: { window: MaintenanceWindow; start: Date; end: Date } | null = null;
  for (const window of windows) {
    if (window.rules !== null && !window.rules.includes(rule)) continue;
    const open = windowOccurrence(window, now);
    if (open && (!best || open.end > best.end)) best = { window, ...open };
  }
  return best;
}

export type Suppression =
  | { kind: 'silence'; silence: Silence; until: Date }
  | { kind: 'maintenance'; window: MaintenanceWindow; until: Date };

/** Why an alert's notifications are held back now, or null when they are not. */
export function suppressionOf(
  silences: readonly Silence[],
  windows: readonly MaintenanceWindow[],
  rule: string,
  scope: string,
  now: Date,
): Suppression | null {
  const silence = matchingSilence(silences, rule, scope, now);
  if (silence) return { kind: 'silence', silence, until: silence.ends_at };
  const maintenance = activeMaintenance(windows, rule, now);
  return maintenance ? { kind: 'maintenance', window: maintenance.window, until: maintenance.end } : null;
}
