import { describe, expect, it } from 'vitest';
import { evaluateScope, type Observation } from '../../src/alerts/evaluate.js';
import type { NamedAlertRule } from '../../src/alerts/rules.js';
import { step, type AlertNotification, type AlertState } from '../../src/alerts/state-machine.js';
import { at, successRule } from './fixtures.js';

interface Tick {
  /** ISO time of the evaluation. */
  t: string;
  /** The success rate seen (with 200 requests), or a full observation, or null for none. */
  obs: number | Observation | null;
  silenced?: boolean;
  acknowledged?: boolean;
}

/** Runs a sequence of evaluations of scope "all" through the state machine. */
function drive(rule: NamedAlertRule, ticks: Tick[], start: AlertState | null = null) {
  let state = start;
  return ticks.map(({ t, obs, silenced, acknowledged }) => {
    const now = at(t);
    const observation = typeof obs === 'number' ? { value: obs, requests: 200 } : obs;
    const result = step(
      state,
      evaluateScope(rule, 'all', observation, now),
      rule,
      now,
      silenced ?? false,
      acknowledged ?? false,
    );
    state = result.state;
    return result;
  });
}

const statuses = (results: ReturnType<typeof drive>) => results.map((r) => r.state.status);
const told = (results: ReturnType<typeof drive>) =>
  results
    .map((r) => r.notify)
    .filter((n): n is AlertNotification => n !== null)
    .map((n) => `${n.kind}@${n.at.toISOString()}`);

describe('pending period', () => {
  const rule = successRule({ pending_minutes: 5 });

  it('a breach that clears within the pending period says nothing', () => {
    const r = drive(rule, [
      { t: '2026-03-08T06:59:00Z', obs: 0.93 },
      { t: '2026-03-08T07:01:00Z', obs: 0.93 },
      { t: '2026-03-08T07:02:00Z', obs: 0.955 },
    ]);
    expect(statuses(r)).toEqual(['pending', 'pending', 'ok']);
    expect(told(r)).toEqual([]);
    expect(r[0]!.state.breachSince).toEqual(at('2026-03-08T06:59:00Z'));
    expect(r[2]!.state.breachSince).toBeNull();
  });

  it('fires once the breach has lasted pending_minutes, counted from a fresh start after it cleared', () => {
    const r = drive(rule, [
      { t: '2026-03-08T06:59:00Z', obs: 0.93 },
      { t: '2026-03-08T07:02:00Z', obs: 0.96 }, // cleared: the 5 minutes start again
      { t: '2026-03-08T07:03:00Z', obs: 0.93 },
      { t: '2026-03-08T07:07:59Z', obs: 0.92 }, // 4 min 59 s
      { t: '2026-03-08T07:08:00Z', obs: 0.91 }, // 5 min
      { t: '2026-03-08T07:09:00Z', obs: 0.9 },
    ]);
    expect(statuses(r)).toEqual(['pending', 'ok', 'pending', 'pending', 'firing', 'firing']);
    expect(told(r)).toEqual(['firing@2026-03-08T07:08:00.000Z']);
    const fired = r[4]!.notify!;
    expect(fired.breachSince).toEqual(at('2026-03-08T07:03:00Z'));
    expect(fired.firingSince).toEqual(at('2026-03-08T07:08:00Z'));
    expect(fired.episodeId).toBe('success_rate|all|2026-03-08T07:08:00.000Z');
    expect(fired.key).toBe('alert:success_rate|all|2026-03-08T07:08:00.000Z:firing');
    expect(fired.severity).toBe('critical');
    expect(fired.evaluation.value).toBe(0.91);
  });

  it('a value between threshold and recovery clears a pending breach (hysteresis is for firing alerts only)', () => {
    const r = drive(rule, [
      { t: '2026-03-08T06:59:00Z', obs: 0.93 },
      { t: '2026-03-08T07:00:00Z', obs: 0.96 },
    ]);
    expect(statuses(r)).toEqual(['pending', 'ok']);
  });

  it('pending_minutes 0 fires on the first breaching evaluation', () => {
    const r = drive(successRule({ pending_minutes: 0 }), [{ t: '2026-03-08T06:59:00Z', obs: 0.93 }]);
    expect(statuses(r)).toEqual(['firing']);
    expect(told(r)).toEqual(['firing@2026-03-08T06:59:00.000Z']);
    expect(r[0]!.state.breachSince).toEqual(at('2026-03-08T06:59:00Z'));
  });
});

describe('flapping around the threshold', () => {
  it('with recovery at 97%: 94.9% fires, 95.1% keeps firing, 97.2% resolves; two notifications in all', () => {
    const r = drive(successRule({ recovery: 0.97 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.949 },
      { t: '2026-03-08T07:01:00Z', obs: 0.951 },
      { t: '2026-03-08T07:02:00Z', obs: 0.948 },
      { t: '2026-03-08T07:03:00Z', obs: 0.969 },
      { t: '2026-03-08T07:04:00Z', obs: 0.972 },
      { t: '2026-03-08T07:05:00Z', obs: 0.951 }, // in the band again, but it had recovered: no new alert
      { t: '2026-03-08T07:06:00Z', obs: 0.975 },
    ]);
    expect(statuses(r)).toEqual(['firing', 'firing', 'firing', 'firing', 'resolved', 'ok', 'ok']);
    expect(told(r)).toEqual(['firing@2026-03-08T07:00:00.000Z', 'resolved@2026-03-08T07:04:00.000Z']);
  });

  it('without recovery the same values would flap: fire, resolve, fire again', () => {
    const r = drive(successRule({ recovery: null }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.949 },
      { t: '2026-03-08T07:01:00Z', obs: 0.951 },
      { t: '2026-03-08T07:02:00Z', obs: 0.948 },
    ]);
    expect(told(r)).toEqual([
      'firing@2026-03-08T07:00:00.000Z',
      'resolved@2026-03-08T07:01:00.000Z',
      'firing@2026-03-08T07:02:00.000Z',
    ]);
    // Each episode has its own id, so its notifications have their own outbox keys.
    expect(r[0]!.notify!.episodeId).not.toBe(r[2]!.notify!.episodeId);
  });

  it('exactly at the threshold is not a breach, exactly at the recovery is recovered', () => {
    const r = drive(successRule({ recovery: 0.97 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.95 },
      { t: '2026-03-08T07:01:00Z', obs: 0.94 },
      { t: '2026-03-08T07:02:00Z', obs: 0.97 },
    ]);
    expect(statuses(r)).toEqual(['ok', 'firing', 'resolved']);
  });
});

describe('resolve', () => {
  it('states how long the alert fired (firing since → resolved at)', () => {
    const r = drive(successRule({ pending_minutes: 5 }), [
      { t: '2026-03-08T06:55:00Z', obs: 0.9 },
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T07:42:30Z', obs: 0.99 },
    ]);
    const resolved = r[2]!.notify!;
    expect(resolved.kind).toBe('resolved');
    expect(resolved.firingSince).toEqual(at('2026-03-08T07:00:00Z'));
    expect(resolved.breachSince).toEqual(at('2026-03-08T06:55:00Z'));
    expect(resolved.resolvedAt).toEqual(at('2026-03-08T07:42:30Z'));
    expect(resolved.durationMs).toBe(42.5 * 60_000);
    expect(resolved.key).toBe('alert:success_rate|all|2026-03-08T07:00:00.000Z:resolved');
    expect(resolved.evaluation.value).toBe(0.99);
    expect(r[2]!.state.resolvedAt).toEqual(at('2026-03-08T07:42:30Z'));
  });

  it('a new breach after a resolve starts a new episode', () => {
    const r = drive(successRule(), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T07:10:00Z', obs: 0.99 },
      { t: '2026-03-08T07:11:00Z', obs: 0.9 },
    ]);
    expect(statuses(r)).toEqual(['firing', 'resolved', 'firing']);
    expect(r[2]!.notify!.episodeId).toBe('success_rate|all|2026-03-08T07:11:00.000Z');
    expect(r[2]!.state.resolvedAt).toBeNull();
  });
});

describe('repeat', () => {
  it('re-notifies every repeat_minutes while firing, counted from the last notification', () => {
    const r = drive(successRule({ repeat_minutes: 60 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T07:59:30Z', obs: 0.9 },
      { t: '2026-03-08T08:00:00Z', obs: 0.96 }, // in the band: still firing, still repeated
      { t: '2026-03-08T08:30:00Z', obs: 0.9 },
      { t: '2026-03-08T09:00:30Z', obs: 0.9 },
      { t: '2026-03-08T09:30:00Z', obs: 0.99 },
    ]);
    expect(told(r)).toEqual([
      'firing@2026-03-08T07:00:00.000Z',
      'repeat@2026-03-08T08:00:00.000Z',
      'repeat@2026-03-08T09:00:30.000Z',
      'resolved@2026-03-08T09:30:00.000Z',
    ]);
    expect(r[2]!.notify!.key).toBe('alert:success_rate|all|2026-03-08T07:00:00.000Z:repeat:1');
    expect(r[4]!.notify!.key).toBe('alert:success_rate|all|2026-03-08T07:00:00.000Z:repeat:2');
    expect(r[4]!.notify!.repeat).toBe(2);
  });

  it('an acknowledged episode repeats no more but still resolves; the next episode repeats again', () => {
    const r = drive(successRule({ repeat_minutes: 60 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T08:00:00Z', obs: 0.9, acknowledged: true },
      { t: '2026-03-08T09:30:00Z', obs: 0.9, acknowledged: true },
      { t: '2026-03-08T10:00:00Z', obs: 0.99, acknowledged: true },
      { t: '2026-03-08T10:10:00Z', obs: 0.9 },
      { t: '2026-03-08T11:10:00Z', obs: 0.9 },
    ]);
    expect(told(r)).toEqual([
      'firing@2026-03-08T07:00:00.000Z',
      'resolved@2026-03-08T10:00:00.000Z',
      'firing@2026-03-08T10:10:00.000Z',
      'repeat@2026-03-08T11:10:00.000Z',
    ]);
  });

  it('repeat_minutes null never repeats', () => {
    const r = drive(successRule({ repeat_minutes: null }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T19:00:00Z', obs: 0.9 },
    ]);
    expect(told(r)).toEqual(['firing@2026-03-08T07:00:00.000Z']);
  });
});

describe('no data', () => {
  const firingAt7 = { t: '2026-03-08T07:00:00Z', obs: 0.9 };
  const empty = { value: null, requests: 0 };

  it('keep: a firing alert keeps firing, a pending one keeps its start', () => {
    const firing = drive(successRule({ no_data: 'keep' }), [firingAt7, { t: '2026-03-08T07:01:00Z', obs: empty }]);
    expect(statuses(firing)).toEqual(['firing', 'firing']);
    expect(told(firing)).toEqual(['firing@2026-03-08T07:00:00.000Z']);

    const pending = drive(successRule({ no_data: 'keep', pending_minutes: 5 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T07:06:00Z', obs: empty }, // the 5 minutes have passed, but no data confirms nothing
      { t: '2026-03-08T07:07:00Z', obs: 0.9 },
    ]);
    expect(statuses(pending)).toEqual(['pending', 'pending', 'firing']);
    expect(pending[2]!.notify!.breachSince).toEqual(at('2026-03-08T07:00:00Z'));
  });

  it('ok: a firing alert resolves, a pending one clears, nothing starts', () => {
    const rule = successRule({ no_data: 'ok', pending_minutes: 0 });
    const firing = drive(rule, [firingAt7, { t: '2026-03-08T07:20:00Z', obs: empty }]);
    expect(told(firing)).toEqual(['firing@2026-03-08T07:00:00.000Z', 'resolved@2026-03-08T07:20:00.000Z']);
    const pending = drive(successRule({ no_data: 'ok', pending_minutes: 5 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T07:01:00Z', obs: null },
    ]);
    expect(statuses(pending)).toEqual(['pending', 'ok']);
    expect(statuses(drive(rule, [{ t: '2026-03-08T07:00:00Z', obs: null }]))).toEqual(['ok']);
  });

  it('alert: no data counts as a breach (the dead-man switch on an empty table)', () => {
    const deadMan: NamedAlertRule = {
      ...successRule(),
      name: 'no_new_rows',
      metric: 'minutes_since_newest_row',
      window_minutes: null,
      condition: { type: 'threshold', op: '>', value: 30 },
      min_requests: 0,
      recovery: null,
      no_data: 'alert',
    };
    const r = drive(deadMan, [
      { t: '2026-03-08T07:00:00Z', obs: { value: 12, requests: 0 } },
      { t: '2026-03-08T07:01:00Z', obs: { value: null, requests: 0 } },
      { t: '2026-03-08T07:02:00Z', obs: { value: 0.5, requests: 0 } },
    ]);
    expect(statuses(r)).toEqual(['ok', 'firing', 'resolved']);
    expect(r[1]!.notify!.evaluation.status).toBe('no_data');
  });

  it('below the volume floor nothing fires and nothing resolves', () => {
    const few = (value: number) => ({ value, requests: 49 });
    const r = drive(successRule(), [
      { t: '2026-03-08T07:00:00Z', obs: few(0.5) },
      { t: '2026-03-08T07:01:00Z', obs: 0.9 },
      { t: '2026-03-08T07:02:00Z', obs: few(1) },
    ]);
    expect(statuses(r)).toEqual(['ok', 'firing', 'firing']);
    expect(told(r)).toEqual(['firing@2026-03-08T07:01:00.000Z']);
  });
});

describe('silences and maintenance', () => {
  it('a silenced breach still fires (state advances) without notifying, and its resolve is not notified either', () => {
    const r = drive(successRule(), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9, silenced: true },
      { t: '2026-03-08T07:05:00Z', obs: 0.99, silenced: false },
    ]);
    expect(statuses(r)).toEqual(['firing', 'resolved']);
    expect(told(r)).toEqual([]);
    expect(r[0]!.state.lastNotifiedAt).toBeNull();
  });

  it('an alert still firing when the silence ends is notified then, as the same episode', () => {
    const r = drive(successRule({ repeat_minutes: 60 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9, silenced: true },
      { t: '2026-03-08T07:30:00Z', obs: 0.9, silenced: true },
      { t: '2026-03-08T08:00:00Z', obs: 0.9, silenced: false },
      { t: '2026-03-08T08:01:00Z', obs: 0.9, silenced: false },
    ]);
    expect(told(r)).toEqual(['firing@2026-03-08T08:00:00.000Z']);
    const late = r[2]!.notify!;
    expect(late.key).toBe('alert:success_rate|all|2026-03-08T07:00:00.000Z:firing');
    expect(late.firingSince).toEqual(at('2026-03-08T07:00:00Z'));
  });

  it('repeats wait while silenced; the resolve of a notified alert is sent even during a silence', () => {
    const r = drive(successRule({ repeat_minutes: 60 }), [
      { t: '2026-03-08T07:00:00Z', obs: 0.9 },
      { t: '2026-03-08T08:00:00Z', obs: 0.9, silenced: true },
      { t: '2026-03-08T08:20:00Z', obs: 0.9 },
      { t: '2026-03-08T08:40:00Z', obs: 0.99, silenced: true },
    ]);
    expect(told(r)).toEqual([
      'firing@2026-03-08T07:00:00.000Z',
      'repeat@2026-03-08T08:20:00.000Z',
      'resolved@2026-03-08T08:40:00.000Z',
    ]);
  });
});

describe('guards', () => {
  it('refuses a state of another scope, another rule, or time going backwards', () => {
    const rule = successRule();
    const first = drive(rule, [{ t: '2026-03-08T07:00:00Z', obs: 0.9 }])[0]!.state;
    const now = at('2026-03-08T07:01:00Z');
    expect(() => step(first, evaluateScope(rule, 'provider=openai', null, now), rule, now, false)).toThrow(
      /stepped with an evaluation/,
    );
    expect(() => step(first, evaluateScope(rule, 'all', null, now), { ...rule, name: 'other' }, now, false)).toThrow(
      /stepped with rule other/,
    );
    const earlier = at('2026-03-08T06:00:00Z');
    expect(() => step(first, evaluateScope(rule, 'all', null, earlier), rule, earlier, false)).toThrow(
      /time went backwards/,
    );
  });

  it('returns new state objects and leaves the given one alone', () => {
    const rule = successRule();
    const [r1] = drive(rule, [{ t: '2026-03-08T07:00:00Z', obs: 0.9 }]);
    const before = structuredClone(r1!.state);
    const now = at('2026-03-08T07:10:00Z');
    step(r1!.state, evaluateScope(rule, 'all', { value: 0.99, requests: 200 }, now), rule, now, false);
    expect(r1!.state).toEqual(before);
  });
});
