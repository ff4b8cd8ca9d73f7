import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type PulsebotConfig } from '../../src/config/schema.js';
import { requiredSlackScopes } from '../../src/delivery/slack-scopes.js';
import type { CheckResult } from '../../src/doctor/check-result.js';
import { checkSlackButtons, checkSlackResponders, slackButtonsChecks } from '../../src/doctor/slack-buttons-check.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';

/**
 * doctor's lines about the Slack alert buttons, against a local Slack: the app-level token is
 * tried with apps.connections.open (never the WebSocket it offers), and the user groups of
 * alerts.slack_responders are read with the bot token.
 */

let slack: FakeSlack | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

const withResponders = (responders: string[]): PulsebotConfig => {
  const config = defaultConfig();
  return { ...config, alerts: { ...config.alerts, slack_responders: responders } };
};

/** No line may hold a token, whichever was given. */
function expectNoToken(line: CheckResult | null, ...tokens: string[]) {
  const text = JSON.stringify(line);
  for (const t of tokens) expect(text).not.toContain(t);
}

describe('doctor: slack buttons', () => {
  it('is off, and ok, without SLACK_APP_TOKEN', async () => {
    expect(await checkSlackButtons({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual({
      name: 'slack buttons',
      status: 'ok',
      detail: 'off (SLACK_APP_TOKEN is not set): alerts go out without Acknowledge/Silence buttons',
    });
  });

  it('✓ when the app-level token opens Socket Mode, without connecting to it', async () => {
    slack = await startFakeSlack();
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    });
    expect(line).toEqual({
      name: 'slack buttons',
      status: 'ok',
      detail: 'app token can open Socket Mode (connections:write)',
    });
    expect(slack.calls.map((c) => c.method)).toEqual(['apps.connections.open']);
    expect(slack.socket.connections()).toBe(0);
  });

  it('✗ before calling Slack when the bot token is given as SLACK_APP_TOKEN', async () => {
    slack = await startFakeSlack();
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: slack.token,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    });
    expect(line).toEqual({
      name: 'slack buttons',
      status: 'fail',
      detail:
        'SLACK_APP_TOKEN must be an app-level token (xapp-…); bot (xoxb-…) and user tokens cannot open Socket Mode',
      fix: 'create one under Basic Information → App-Level Tokens with the connections:write scope',
    });
    expect(slack.calls).toEqual([]);
    expectNoToken(line, slack.token);
  });

  it('✗ when SLACK_BOT_TOKEN is missing beside the app token', async () => {
    const line = await checkSlackButtons({ SLACK_APP_TOKEN: 'xapp-1-A1-123-abc' });
    expect(line.status).toBe('fail');
    expect(line.detail).toBe(
      'SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: the alert buttons answer through the bot',
    );
    expect(line.fix).toMatch(/set SLACK_BOT_TOKEN/);
  });

  it('✗ for a wrong xapp- token: invalid_auth, revoked or wrong, and how to get a new one', async () => {
    slack = await startFakeSlack();
    const wrong = 'xapp-1-A0OTHER-9999-not-this-one';
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: wrong,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    });
    expect(line).toEqual({
      name: 'slack buttons',
      status: 'fail',
      detail:
        'Slack refuses SLACK_APP_TOKEN for apps.connections.open (invalid_auth): the token was revoked or is wrong',
      fix: 'generate an app-level token with the connections:write scope (app settings → Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN to it',
    });
    expectNoToken(line, wrong, slack.token);
  });

  it('✗ for an app-level token without connections:write, saying to add it', async () => {
    slack = await startFakeSlack({ appScopes: [] });
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    });
    expect(line.status).toBe('fail');
    expect(line.detail).toBe(
      'Slack refuses SLACK_APP_TOKEN for apps.connections.open (missing_scope): the app-level token lacks connections:write',
    );
    expect(line.fix).toMatch(/^add connections:write to the app-level token: generate an app-level token/);
    expectNoToken(line, slack.appToken, slack.token);
  });

  it('✗ when Slack answers not_allowed_token_type, naming the token kinds', async () => {
    slack = await startFakeSlack();
    slack.failNext('apps.connections.open', { error: 'not_allowed_token_type' });
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    });
    expect(line.status).toBe('fail');
    expect(line.detail).toMatch(/\(not_allowed_token_type\): a bot or user token was given where the app-level token/);
    expect(line.fix).toMatch(/not the bot token/);
  });

  it('✗ at once, without retrying, when Slack cannot be reached', async () => {
    const port = await closedPort();
    const started = Date.now();
    const line = await checkSlackButtons({
      SLACK_APP_TOKEN: 'xapp-1-A1-123-abc',
      SLACK_BOT_TOKEN: 'xoxb-1-2-3',
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(line.status).toBe('fail');
    expect(line.detail).toMatch(/apps\.connections\.open failed: request error \(ECONNREFUSED\)/);
    expect(line.fix).toMatch(/SLACK_API_URL/);
  });
});

describe('doctor: slack responders', () => {
  const env = (fake: FakeSlack) => ({
    SLACK_APP_TOKEN: fake.appToken,
    SLACK_BOT_TOKEN: fake.token,
    SLACK_API_URL: fake.url,
  });

  it('no line with no responders and buttons off; with buttons on, says anyone may click', async () => {
    expect(await checkSlackResponders(withResponders([]), {})).toBeNull();
    expect(await checkSlackResponders(withResponders([]), { SLACK_APP_TOKEN: 'xapp-1' })).toMatchObject({
      status: 'ok',
      detail: 'anyone who sees an alert can use its buttons (alerts.slack_responders is empty)',
    });
  });

  it('✓ with the member count of each readable group', async () => {
    slack = await startFakeSlack({ usergroups: { S0ONCALL: ['U0A', 'U0B', 'U0C'], S0LEADS: ['U0D'] } });
    const line = await checkSlackResponders(withResponders(['U0ALICE', 'S0ONCALL', 'S0LEADS']), env(slack));
    expect(line).toEqual({
      name: 'slack responders',
      status: 'ok',
      detail: 'user groups S0ONCALL (3 members), S0LEADS (1 member) and 1 user',
    });
    expect(slack.calls.map((c) => [c.method, c.body.usergroup])).toEqual([
      ['usergroups.users.list', 'S0ONCALL'],
      ['usergroups.users.list', 'S0LEADS'],
    ]);
  });

  it('✗ naming a group Slack does not know (no_such_subteam), the others still counted', async () => {
    slack = await startFakeSlack({ usergroups: { S0ONCALL: ['U0A'] } });
    const line = await checkSlackResponders(withResponders(['S0ONCALL', 'S0GONE']), env(slack));
    expect(line?.status).toBe('fail');
    expect(line?.detail).toBe(
      'user group S0GONE does not exist in this workspace (no_such_subteam); members of a group that cannot be read cannot use the alert buttons (readable: S0ONCALL (1 member))',
    );
    expect(line?.fix).toMatch(/correct alerts\.slack_responders/);
  });

  it('✗ naming usergroups:read when the bot token lacks it', async () => {
    slack = await startFakeSlack({ usergroups: { S0ONCALL: ['U0A'] } });
    slack.failNext('usergroups.users.list', { error: 'missing_scope' });
    const line = await checkSlackResponders(withResponders(['S0ONCALL']), env(slack));
    expect(line).toEqual({
      name: 'slack responders',
      status: 'fail',
      detail:
        'cannot read user group S0ONCALL: the bot token lacks usergroups:read (missing_scope); members of a group that cannot be read cannot use the alert buttons',
      fix: 'add the scope usergroups:read to the Slack app ("OAuth & Permissions") and reinstall it to the workspace',
    });
  });

  it('✗ when a group is listed but there is no bot token to read it with', async () => {
    const line = await checkSlackResponders(withResponders(['S0ONCALL']), { SLACK_APP_TOKEN: 'xapp-1' });
    expect(line).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/S0ONCALL cannot be read: SLACK_BOT_TOKEN/),
    });
  });

  it('both lines together, in order', async () => {
    slack = await startFakeSlack({ usergroups: { S0ONCALL: ['U0A', 'U0B'] } });
    const lines = await slackButtonsChecks(withResponders(['S0ONCALL']), env(slack));
    expect(lines.map((l) => [l.name, l.status])).toEqual([
      ['slack buttons', 'ok'],
      ['slack responders', 'ok'],
    ]);
  });
});

describe('required bot scopes', () => {
  it('include usergroups:read only when the responders list a user group', () => {
    const scopes = (responderGroups: boolean) =>
      requiredSlackScopes({ uploadCharts: false, responderGroups }).map((s) => s.scope);
    expect(scopes(false)).toEqual(['chat:write', 'channels:read', 'channels:history']);
    expect(scopes(true)).toEqual(['chat:write', 'channels:read', 'channels:history', 'usergroups:read']);
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
