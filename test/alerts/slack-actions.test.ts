import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  acknowledgedBlocks,
  actionButtons,
  decideClick,
  parseClick,
  type Click,
} from '../../src/alerts/slack-actions.js';
import type { AlertState } from '../../src/alerts/state-machine.js';

const SINCE = new Date('2026-11-24T09:00:00Z');
const NOW = new Date('2026-11-24T09:10:00Z');
const EPISODE = 'success_rate|all|2026-11-24T09:00:00.000Z';

function buttonValue(action: keyof typeof ACTION_IDS): { action_id: string; value: string } {
  const block = actionButtons({ rule: 'success_rate', scope: 'all', firingSince: SINCE }, '#ai-oncall')!;
  const element = (block.elements as Array<{ action_id: string; value: string }>).find(
    (e) => e.action_id === ACTION_IDS[action],
  )!;
  return { action_id: element.action_id, value: element.value };
}

function body(action: keyof typeof ACTION_IDS, extra: Record<string, unknown> = {}) {
  return {
    type: 'block_actions',
    user: { id: 'U0ALICE', username: 'alice' },
    container: { type: 'message', channel_id: 'C0AIONCALL', message_ts: '1700000000.000100' },
    message: { ts: '1700000000.000100', blocks: [] },
    actions: [{ ...buttonValue(action), type: 'button', action_ts: '1700000100.000200' }],
    ...extra,
  };
}

function firing(overrides: Partial<AlertState> = {}): AlertState {
  return {
    rule: 'success_rate',
    scope: 'all',
    status: 'firing',
    breachSince: SINCE,
    firingSince: SINCE,
    episodeId: EPISODE,
    lastNotifiedAt: SINCE,
    repeats: 0,
    resolvedAt: null,
    value: 0.9,
    evaluatedAt: SINCE,
    ...overrides,
  };
}

describe('parseClick', () => {
  it('reads the alert, the episode and the firing message key back from the button', () => {
    const click = parseClick(body('silence_1h'));
    expect(click).toEqual({
      key: 'C0AIONCALL:1700000000.000100:U0ALICE:1700000100.000200',
      action: 'silence_1h',
      rule: 'success_rate',
      scope: 'all',
      episodeId: EPISODE,
      messageKey: `alert:${EPISODE}:firing:slack:#ai-oncall`,
      user: { id: 'U0ALICE', name: 'alice' },
      channelId: 'C0AIONCALL',
      messageTs: '1700000000.000100',
      threadTs: '1700000000.000100',
      blocks: [],
    } satisfies Click);
  });

  it('a click on a repeat in the thread replies in that thread', () => {
    const click = parseClick(
      body('acknowledge', {
        container: {
          type: 'message',
          channel_id: 'C0AIONCALL',
          message_ts: '1700000500.000100',
          thread_ts: '1700000000.000100',
        },
      }),
    );
    expect(click?.threadTs).toBe('1700000000.000100');
    expect(click?.messageTs).toBe('1700000500.000100');
  });

  it.each([
    ['another app’s button', { actions: [{ action_id: 'approve_deploy', value: 'x', action_ts: '1.2' }] }],
    ['a view submission', { type: 'view_submission' }],
    ['a value that is not JSON', { actions: [{ action_id: ACTION_IDS.acknowledge, value: '{', action_ts: '1.2' }] }],
    [
      'a value of another version',
      { actions: [{ action_id: ACTION_IDS.acknowledge, value: '{"v":2,"rule":"r"}', action_ts: '1.2' }] },
    ],
    ['no user', { user: {} }],
    ['no actions', { actions: 'nope' }],
  ])('ignores %s', (_what, extra) => {
    expect(parseClick(body('acknowledge', extra))).toBeNull();
  });

  it('ignores what is not an object at all', () => {
    for (const b of [null, 'block_actions', 42, []]) expect(parseClick(b)).toBeNull();
  });
});

describe('decideClick', () => {
  const click = (action: keyof typeof ACTION_IDS) => parseClick(body(action))!;

  it('applies to the episode firing now; silences last 1 h, or until the episode ends (7 days at most)', () => {
    expect(
      decideClick({ click: click('acknowledge'), allowed: true, state: firing(), acknowledgement: null, now: NOW }),
    ).toEqual({ outcome: 'applied', silence: null });
    expect(
      decideClick({ click: click('silence_1h'), allowed: true, state: firing(), acknowledgement: null, now: NOW }),
    ).toEqual({
      outcome: 'applied',
      silence: { startsAt: NOW, endsAt: new Date('2026-11-24T10:10:00Z'), endsWithEpisode: null },
    });
    expect(
      decideClick({
        click: click('silence_until_resolved'),
        allowed: true,
        state: firing(),
        acknowledgement: null,
        now: NOW,
      }),
    ).toEqual({
      outcome: 'applied',
      silence: { startsAt: NOW, endsAt: new Date('2026-12-01T09:10:00Z'), endsWithEpisode: EPISODE },
    });
  });

  it('refuses who may not act before looking at the alert', () => {
    expect(
      decideClick({ click: click('acknowledge'), allowed: false, state: null, acknowledgement: null, now: NOW }),
    ).toEqual({
      outcome: 'not_allowed',
    });
  });

  it('an episode that resolved, or was followed by another, is not acted on', () => {
    const resolvedAt = new Date('2026-11-24T09:05:00Z');
    const resolved = firing({ status: 'resolved', resolvedAt });
    expect(
      decideClick({ click: click('silence_1h'), allowed: true, state: resolved, acknowledgement: null, now: NOW }),
    ).toEqual({
      outcome: 'already_resolved',
      resolvedAt,
      firingAgain: false,
    });
    const again = firing({ firingSince: resolvedAt, episodeId: 'success_rate|all|2026-11-24T09:05:00.000Z' });
    expect(
      decideClick({ click: click('silence_1h'), allowed: true, state: again, acknowledgement: null, now: NOW }),
    ).toEqual({
      outcome: 'already_resolved',
      resolvedAt: null,
      firingAgain: true,
    });
    expect(
      decideClick({ click: click('silence_1h'), allowed: true, state: null, acknowledgement: null, now: NOW }),
    ).toEqual({
      outcome: 'unknown_alert',
    });
  });

  it('a second acknowledgement names the first; a silence after an acknowledgement still applies', () => {
    const first = { userId: 'U0BOB', at: SINCE };
    expect(
      decideClick({ click: click('acknowledge'), allowed: true, state: firing(), acknowledgement: first, now: NOW }),
    ).toEqual({
      outcome: 'already_acknowledged',
      by: first,
    });
    expect(
      decideClick({ click: click('silence_1h'), allowed: true, state: firing(), acknowledgement: first, now: NOW })
        .outcome,
    ).toBe('applied');
  });
});

describe('buttons and the acknowledged message', () => {
  it('a scope too long for a button value leaves the buttons out rather than breaking the message', () => {
    expect(actionButtons({ rule: 'r', scope: `model=${'x'.repeat(2000)}`, firingSince: SINCE }, '#c')).toBeNull();
  });

  it('acknowledging takes the Acknowledge button out and says who and when, leaving the rest', () => {
    const buttons = actionButtons({ rule: 'success_rate', scope: 'all', firingSince: SINCE }, '#ai-oncall')!;
    const header = { type: 'header', text: { type: 'plain_text', text: 'x' } };
    const footer = { type: 'context', elements: [] };
    const out = acknowledgedBlocks([header, buttons, footer], { userId: 'U0ALICE', at: NOW }, 'Europe/Berlin');
    expect(out[0]).toEqual(header);
    expect(out[1]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '✋ Acknowledged by <@U0ALICE> at 24 Nov 2026, 10:10 CET', verbatim: true }],
    });
    expect((out[2]!.elements as Array<{ action_id: string }>).map((e) => e.action_id)).toEqual([
      ACTION_IDS.silence_1h,
      ACTION_IDS.silence_until_resolved,
    ]);
    expect(out[3]).toEqual(footer);
  });
});
