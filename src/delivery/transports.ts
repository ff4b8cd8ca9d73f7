import type { PulsebotConfig } from '../config/schema.js';
import { outboxDirFromEnv } from '../config/env.js';
import { createEmailTransport } from './email-transport.js';
import { PulsebotError } from '../errors.js';
import { isLoopbackHost } from '../config/route-fields.js';
import { WEBHOOK_SECRET_VARIABLE } from '../config/route-env.js';
import { createFileTransport } from './file-transport.js';
import { createPagerDutyTransport } from './pagerduty-transport.js';
import { routeTargets } from './route-targets.js';
import { createSlackTransport, type SlackIdentity } from './slack-transport.js';
import type { EmailPayload, PagerDutyPayload, SlackPayload, Transport, WebhookPayload } from './types.js';
import { createWebhookTransport } from './webhook-transport.js';

/**
 * Which transport carries each channel: Slack's Web API when SLACK_BOT_TOKEN is set, SMTP when
 * SMTP_URL is set, otherwise the file outbox (PULSEBOT_OUTBOX_DIR), so pulsebot works with no
 * credentials at all and the user can see exactly what would have been sent.
 */
export interface Transports {
  slack: Transport<SlackPayload>;
  email: Transport<EmailPayload>;
  /** PagerDuty's Events API (PAGERDUTY_EVENTS_URL, else the public endpoint) with the config's keys. */
  pagerduty: Transport<PagerDutyPayload>;
  /** Absent without PULSEBOT_WEBHOOK_SECRET (the config refuses webhook routes without it). */
  webhook?: Transport<WebhookPayload>;
  /** In words, for the CLI and logs: "Slack Web API", "SMTP smtp.example.com:587", "files in ./outbox". */
  describe: { slack: string; email: string };
  /** The file outbox: where a failure notice goes when no other route is configured. */
  files: { email: Transport<EmailPayload> };
  /** auth.test with the token (doctor); absent for the file outbox. */
  slackCheck?: () => Promise<SlackIdentity>;
  /** Reads a channel's history as a retried send does (doctor, when Slack does not list the scopes). */
  slackProbeHistory?: (channel: string) => Promise<{ missingScope?: string }>;
  /** Connects and authenticates to the SMTP server (doctor); absent for the file outbox. */
  emailVerify?: () => Promise<void>;
  close(): Promise<void>;
}

export function transportsFromEnv(env: NodeJS.ProcessEnv, config: PulsebotConfig): Transports {
  const dir = outboxDirFromEnv(env);
  const files = createFileTransport(dir);
  const token = env.SLACK_BOT_TOKEN?.trim();
  const smtpUrl = env.SMTP_URL?.trim();
  const slackApi = token
    ? createSlackTransport({
        token,
        ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}),
        timeoutMs: config.slack.timeout_seconds * 1000,
        uploadCharts: config.slack.upload_charts,
      })
    : null;
  const smtp = smtpUrl
    ? createEmailTransport({
        url: smtpUrl,
        maxConnections: config.email.max_connections,
        maxMessages: config.email.max_messages,
      })
    : null;
  const slack = slackApi ?? files.slack;
  const email = smtp ?? files.email;
  const targets = routeTargets(config);
  const pagerduty = createPagerDutyTransport({
    ...(env.PAGERDUTY_EVENTS_URL?.trim() ? { url: pagerdutyEventsUrl(env.PAGERDUTY_EVENTS_URL) } : {}),
    keys: targets.pagerduty,
    timeoutMs: HTTP_TIMEOUT_MS,
  });
  const secret = env[WEBHOOK_SECRET_VARIABLE];
  const webhook = secret
    ? createWebhookTransport({ secret, urls: targets.webhook, timeoutMs: HTTP_TIMEOUT_MS })
    : undefined;
  return {
    slack,
    email,
    pagerduty,
    ...(webhook ? { webhook } : {}),
    files: { email: files.email },
    ...(slackApi
      ? { slackCheck: () => slackApi.check(), slackProbeHistory: (channel: string) => slackApi.probeHistory(channel) }
      : {}),
    ...(smtp ? { emailVerify: () => smtp.verify() } : {}),
    describe: {
      slack: token
        ? `Slack Web API${env.SLACK_API_URL ? ` at ${new URL(env.SLACK_API_URL).host}` : ''}`
        : `files in ${dir} (SLACK_BOT_TOKEN is not set)`,
      email: smtpUrl ? `SMTP ${smtpHost(smtpUrl)}` : `files in ${dir} (SMTP_URL is not set)`,
    },
    async close() {
      // Called from finally blocks, so it must not throw over the error in flight. None of these can
      // fail today (the SMTP pool closes synchronously, the others hold nothing), so none is logged.
      await Promise.allSettled([slack.close(), email.close(), files.slack.close(), files.email.close()]);
    },
  };
}

/** One PagerDuty or webhook request; the outbox retries one that takes longer. */
const HTTP_TIMEOUT_MS = 15_000;

/** PAGERDUTY_EVENTS_URL, checked like a webhook URL: https, or http on the loopback interface. */
export function pagerdutyEventsUrl(value: string): string {
  const text = value.trim();
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  const ok =
    url !== null &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) &&
    url.username === '' &&
    url.password === '';
  if (!ok) {
    throw new PulsebotError(
      'ENV_INVALID',
      'PAGERDUTY_EVENTS_URL must be an https:// URL (http:// only on the loopback interface), without a user name or password',
      { hint: 'unset it to use https://events.pagerduty.com/v2/enqueue' },
    );
  }
  return text;
}

/** host:port only: the URL may hold a password. */
function smtpHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 587)}`;
  } catch {
    return '(unparsable SMTP_URL)';
  }
}
