import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { transportsFromEnv } from '../../src/delivery/transports.js';
import { deliveryChecks } from '../../src/doctor/delivery-checks.js';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../fakes/slack-api-server.js';
import { freshDatabase } from '../support/databases.js';

/**
 * doctor's Slack line against a local Slack: the scopes the token was granted come from the
 * x-oauth-scopes header of auth.test; without that header, doctor reads a routed channel's
 * history the way a retried message does.
 */
const config = defaultConfig(); // reports.daily goes to Slack #ai-usage

describe('doctor checks the Slack token’s scopes', () => {
  let db: Database;
  let slack: FakeSlack | undefined;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(async () => {
    await db?.close();
  });
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  const slackLine = async (fake: FakeSlack) => {
    const env = { SLACK_BOT_TOKEN: fake.token, SLACK_API_URL: fake.url };
    const transports = transportsFromEnv(env, config);
    try {
      const results = await deliveryChecks({ sql: db.sql, config, env, now: new Date(), transports });
      return results.find((r) => r.name === 'slack')!;
    } finally {
      await transports.close();
    }
  };

  it('✓ with every scope a retry needs, naming them', async () => {
    slack = await startFakeSlack();
    const line = await slackLine(slack);
    expect(line.status).toBe('ok');
    expect(line.detail).toContain('token works: pulsebot in pulsebot-test');
    expect(line.detail).toContain('chat:write, files:write, channels:read, channels:history');
  });

  it('✗ when the header lacks channels:history, naming it and the fix', async () => {
    slack = await startFakeSlack({ scopes: FAKE_SLACK_SCOPES.filter((s) => s !== 'channels:history') });
    const line = await slackLine(slack);
    expect(line.status).toBe('fail');
    expect(line.detail).toMatch(/lacks channels:history \(to read the channel's history on a retry/);
    expect(line.fix).toBe(
      'add the scope channels:history to the Slack app ("OAuth & Permissions") and reinstall it to the workspace',
    );
  });

  it('✗ naming every missing scope of a token granted chat:write only', async () => {
    slack = await startFakeSlack({ scopes: ['chat:write'] });
    const line = await slackLine(slack);
    expect(line.status).toBe('fail');
    expect(line.fix).toBe(
      'add the scopes files:write, channels:read, channels:history to the Slack app ("OAuth & Permissions") and reinstall it to the workspace',
    );
  });

  it('without the header, a history read that answers missing_scope is a ✗ naming the scope', async () => {
    slack = await startFakeSlack({ scopes: null });
    slack.failNext('conversations.history', { error: 'missing_scope' });
    const line = await slackLine(slack);
    expect(line.status).toBe('fail');
    expect(line.detail).toContain("reading #ai-usage's history");
    expect(line.detail).toContain('missing_scope (channels:history)');
    expect(line.fix).toBe(
      'add the scope channels:history to the Slack app ("OAuth & Permissions") and reinstall it to the workspace',
    );
    expect(slack.calls.map((c) => c.method)).toEqual(['auth.test', 'conversations.list', 'conversations.history']);
  });

  it('without the header, a history read that works is a ✓ that says the scopes were not listed', async () => {
    slack = await startFakeSlack({ scopes: null });
    const line = await slackLine(slack);
    expect(line.status).toBe('ok');
    expect(line.detail).toContain("it can read #ai-usage's history (Slack did not list its scopes)");
  });
});
