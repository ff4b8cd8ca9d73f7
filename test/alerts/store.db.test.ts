import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSilenced } from '../../src/alerts/silences.js';
import type { AlertState } from '../../src/alerts/state-machine.js';
import {
  addSilence,
  currentSilences,
  forgetStates,
  listSilences,
  loadStates,
  pruneEvents,
  recordEvents,
  removeSilence,
  saveStates,
  stateKey,
} from '../../src/alerts/store.js';
import type { Database } from '../../src/db/connect.js';
import { PulsebotError } from '../../src/errors.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const T = new Date('2026-11-24T09:00:00Z');
const plus = (minutes: number) => new Date(T.getTime() + minutes * 60_000);

function state(rule: string, scope: string, over: Partial<AlertState> = {}): AlertState {
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
    evaluatedAt: T,
    ...over,
  };
}

describe.each(TARGETS)('alert store on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.sql`truncate pulsebot.alert_states, pulsebot.silences`;
  });

  it('states survive a round trip with their dates, and a save replaces the earlier state', async () => {
    const firing = state('success_rate', 'all', {
      status: 'firing',
      breachSince: plus(-5),
      firingSince: plus(-5),
      episodeId: `success_rate|all|${plus(-5).toISOString()}`,
      lastNotifiedAt: plus(-5),
      repeats: 2,
      value: 0.9,
      evaluatedAt: T,
    });
    const ok = state('provider_success_rate', 'provider=<!channel>', { value: 1 });
    await db.sql.begin((tx) => saveStates(tx, [firing, ok], T));
    expect(await loadStates(db.sql)).toEqual(
      new Map([
        [stateKey('success_rate', 'all'), firing],
        [stateKey('provider_success_rate', 'provider=<!channel>'), ok],
      ]),
    );

    const resolved = {
      ...firing,
      status: 'resolved' as const,
      breachSince: null,
      resolvedAt: plus(10),
      evaluatedAt: plus(10),
      value: 0.99,
    };
    await db.sql.begin((tx) => saveStates(tx, [resolved], plus(10)));
    expect((await loadStates(db.sql)).get(stateKey('success_rate', 'all'))).toEqual(resolved);
  });

  it('forgets stale states and quiet ones, keeps recent and open ones', async () => {
    await db.sql.begin((tx) =>
      saveStates(tx, [state('gone', 'all', { status: 'firing' }), state('success_rate', 'all')], plus(-8 * 1440)),
    );
    await db.sql.begin((tx) =>
      saveStates(tx, [state('p', 'provider=a', { status: 'pending' }), state('p', 'provider=b')], plus(-8 * 1440)),
    );
    await db.sql.begin((tx) => saveStates(tx, [state('p', 'provider=c')], T));
    const forgotten = await db.sql.begin((tx) =>
      forgetStates(tx, { stale: [{ rule: 'gone', scope: 'all' }], quietBefore: plus(-7 * 1440) }),
    );
    expect(forgotten.map((f) => `${f.rule} ${f.scope} ${f.status}`).sort()).toEqual([
      'gone all firing',
      'p provider=b ok',
      'success_rate all ok',
    ]);
    expect([...(await loadStates(db.sql)).keys()].sort()).toEqual(
      [stateKey('p', 'provider=a'), stateKey('p', 'provider=c')].sort(),
    );
  });

  it('the transition log is pruned by age', async () => {
    await db.sql`truncate pulsebot.alert_events`;
    const event = (at: Date) => ({
      rule: 'success_rate',
      scope: 'all',
      at,
      from: 'ok' as const,
      to: 'firing' as const,
      episodeId: null,
      value: 0.9,
      threshold: 0.95,
      requests: 60,
      notification: 'firing' as const,
      notificationKey: 'k',
      suppressedBy: null,
    });
    await db.sql.begin((tx) => recordEvents(tx, [event(plus(-91 * 1440)), event(plus(-89 * 1440)), event(T)]));
    expect(await db.sql.begin((tx) => pruneEvents(tx, plus(-90 * 1440)))).toBe(1);
    const left = await db.sql<{ at: Date; value: number }[]>`select at, value from pulsebot.alert_events order by at`;
    expect(left).toEqual([
      { at: plus(-89 * 1440), value: 0.9 },
      { at: T, value: 0.9 },
    ]);
  });

  it('silences: active from start to end, removal ends them and keeps the record', async () => {
    const s1 = await addSilence(
      db.sql,
      { rule: 'success_rate', scope: null, startsAt: T, endsAt: plus(60), comment: 'deploy', createdBy: 'ana' },
      T,
    );
    const s2 = await addSilence(
      db.sql,
      { rule: null, scope: 'provider=openai', startsAt: plus(30), endsAt: plus(90), comment: 'later', createdBy: 'bo' },
      T,
    );
    expect(s1).toMatchObject({
      matchers: { rule: 'success_rate' },
      starts_at: T,
      ends_at: plus(60),
      comment: 'deploy',
      created_by: 'ana',
      removedAt: null,
    });

    const now = await currentSilences(db.sql, plus(10));
    expect(now.map((s) => s.id)).toEqual([s1.id, s2.id]);
    expect(isSilenced(now, 'success_rate', 'all', plus(10))).toBe(true);
    expect(isSilenced(now, 'provider_success_rate', 'provider=openai', plus(10))).toBe(false); // s2 has not started
    expect(isSilenced(now, 'provider_success_rate', 'provider=openai', plus(30))).toBe(true);

    const removed = await removeSilence(db.sql, Number(s1.id), plus(20));
    expect(removed).toMatchObject({ id: s1.id, ends_at: plus(20), removedAt: plus(20) });
    // Removing one that has not started: it never applies, and keeps its times for the record.
    expect(await removeSilence(db.sql, Number(s2.id), plus(20))).toMatchObject({
      starts_at: plus(30),
      ends_at: plus(90),
      removedAt: plus(20),
    });
    expect(await currentSilences(db.sql, plus(20))).toEqual([]);
    expect(await removeSilence(db.sql, Number(s1.id), plus(25))).toBeNull();
    expect((await listSilences(db.sql, { now: plus(25), all: true })).map((s) => s.id).sort()).toEqual(
      [s1.id, s2.id].sort(),
    );
  });

  it('refuses a silence that matches everything or ends before it starts', async () => {
    await expect(
      addSilence(db.sql, { rule: null, scope: null, startsAt: T, endsAt: plus(1), comment: 'x', createdBy: 'x' }, T),
    ).rejects.toThrow(PulsebotError);
    await expect(
      addSilence(db.sql, { rule: 'r', scope: null, startsAt: T, endsAt: T, comment: 'x', createdBy: 'x' }, T),
    ).rejects.toThrow(/end after it starts/);
  });
});
