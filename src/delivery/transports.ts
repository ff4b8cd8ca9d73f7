import type { PulsebotConfig } from '../config/schema.js';
import { outboxDirFromEnv } from '../config/env.js';
import { createEmailTransport } from './email-transport.js';
import { createFileTransport } from './file-transport.js';
import { createSlackTransport, type SlackIdentity } from './slack-transport.js';
import type { EmailPayload, SlackPayload, Transport } from './types.js';

/**
 * Which transport carries each channel: Slack's Web API when SLACK_BOT_TOKEN is set, SMTP when
 * SMTP_URL is set, otherwise the file outbox (PULSEBOT_OUTBOX_DIR), so pulsebot works with no
 * credentials at all and the user can see exactly what would have been sent.
 */
export interface Transports {
  slack: Transport<SlackPayload>;
  email: Transport<EmailPayload>;
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
  return {
    slack,
    email,
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

/** host:port only: the URL may hold a password. */
function smtpHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 587)}`;
  } catch {
    return '(unparsable SMTP_URL)';
  }
}
