import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { listProblems } from '../delivery/outbox.js';
import {
  addScopesFix,
  missingScopes,
  PRIVATE_CHANNEL_SCOPES,
  requiredSlackScopes,
  responderGroups,
} from '../delivery/slack-scopes.js';
import type { Transports } from '../delivery/transports.js';
import { messageOf, PulsebotError } from '../errors.js';
import { redact } from '../redact.js';
import type { CheckResult } from './check-result.js';
import { slackButtonsChecks } from './slack-buttons-check.js';

/**
 * Delivery's part of `pulsebot doctor`: can we reach Slack and the SMTP server with the
 * credentials given, and has any message failed or is one stuck retrying. A message given up is
 * a ✗ until someone looks at it (it has also been reported through another route).
 */
export interface DeliveryCheckInput {
  sql: Sql;
  config: PulsebotConfig;
  env: NodeJS.ProcessEnv;
  now: Date;
  transports: Transports;
}

export async function deliveryChecks(input: DeliveryCheckInput): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  out.push(await guarded('slack', () => checkSlack(input)));
  out.push(...(await slackButtonsChecks(input.config, input.env)));
  out.push(await guarded('smtp', () => checkSmtp(input)));
  out.push(...(await guardedMany('deliveries', () => checkOutbox(input))));
  return out;
}

async function guarded(name: string, f: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await f();
  } catch (error) {
    return {
      name,
      status: 'fail',
      // An SMTP server may have echoed the login back into its error.
      detail: `could not check: ${redact(messageOf(error))}`,
      ...(error instanceof PulsebotError && error.hint ? { fix: error.hint } : {}),
    };
  }
}

async function guardedMany(name: string, f: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await f();
  } catch (error) {
    return [{ name, status: 'fail', detail: `could not check: ${messageOf(error)}`, fix: 'run `pulsebot migrate`' }];
  }
}

/** Every destination of a channel: report, alert and failure routes. */
const routesOf = (config: PulsebotConfig, channel: 'slack' | 'email'): string[] => [
  ...Object.values(config.reports).flatMap((r) => r.routes[channel]),
  ...Object.values(config.alerts.rules).flatMap((r) => (r.enabled ? r.routes[channel] : [])),
  ...config.delivery.failure_routes[channel],
];
const routesUse = (config: PulsebotConfig, channel: 'slack' | 'email') => routesOf(config, channel).length > 0;

async function checkSlack(input: DeliveryCheckInput): Promise<CheckResult> {
  const { config, env, transports } = input;
  if (!env.SLACK_BOT_TOKEN?.trim()) {
    return routesUse(config, 'slack')
      ? {
          name: 'slack',
          status: 'warn',
          detail: `SLACK_BOT_TOKEN is not set: Slack messages are written as files (${transports.describe.slack})`,
          fix: `set SLACK_BOT_TOKEN to a bot token (xoxb-…) with the ${neededScopes(config).join(', ')} scopes`,
        }
      : { name: 'slack', status: 'ok', detail: 'no report routes to Slack' };
  }
  if (!transports.slackCheck) return { name: 'slack', status: 'ok', detail: transports.describe.slack };
  const who = await transports.slackCheck();
  const works = `token works: ${who.user} in ${who.team}`;
  const needed = scopesOf(config);
  if (who.scopes === undefined) return probeScopes(input, works);
  const missing = missingScopes(who.scopes, needed);
  if (missing.length > 0) {
    return {
      name: 'slack',
      status: 'fail',
      detail: `${works}, but it lacks ${missing.map((m) => `${m.scope} (to ${m.why})`).join(', ')}`,
      fix: addScopesFix(missing.map((m) => m.scope)),
    };
  }
  const privateMissing = PRIVATE_CHANNEL_SCOPES.filter((s) => !who.scopes!.includes(s));
  return {
    name: 'slack',
    status: 'ok',
    detail: `${works}; scopes ${needed.map((n) => n.scope).join(', ')}${privateMissing.length > 0 ? ` (a private channel would also need ${privateMissing.join(', ')})` : ''}`,
  };
}

const scopesOf = (config: PulsebotConfig) =>
  requiredSlackScopes({
    uploadCharts: config.slack.upload_charts,
    responderGroups: responderGroups(config.alerts.slack_responders).length > 0,
  });

function neededScopes(config: PulsebotConfig): string[] {
  return scopesOf(config).map((n) => n.scope);
}

/**
 * Slack did not list the token's scopes (a proxy may drop the header): read one message of a
 * routed channel's history, as a retried send does, and see whether Slack refuses it.
 */
async function probeScopes({ config, transports }: DeliveryCheckInput, works: string): Promise<CheckResult> {
  const channel = routesOf(config, 'slack')[0];
  if (!channel || !transports.slackProbeHistory) {
    return {
      name: 'slack',
      status: 'warn',
      detail: `${works}, but Slack did not list its scopes (no x-oauth-scopes header)`,
      fix: `make sure the app has the ${neededScopes(config).join(', ')} scopes`,
    };
  }
  const { missingScope } = await transports.slackProbeHistory(channel);
  if (missingScope !== undefined) {
    return {
      name: 'slack',
      status: 'fail',
      detail: `${works}, but reading ${channel}'s history, as a retried message does to avoid posting twice, answers missing_scope (${missingScope})`,
      fix: addScopesFix([missingScope]),
    };
  }
  return {
    name: 'slack',
    status: 'ok',
    detail: `${works}; it can read ${channel}'s history (Slack did not list its scopes)`,
  };
}

async function checkSmtp({ config, env, transports }: DeliveryCheckInput): Promise<CheckResult> {
  if (!env.SMTP_URL?.trim()) {
    return routesUse(config, 'email')
      ? {
          name: 'smtp',
          status: 'warn',
          detail: `SMTP_URL is not set: email is written as files (${transports.describe.email})`,
          fix: 'set SMTP_URL=smtp://user:password@host:587',
        }
      : { name: 'smtp', status: 'ok', detail: 'no report routes to email' };
  }
  if (transports.emailVerify) await transports.emailVerify();
  const placeholder = Object.entries(config.reports).flatMap(([name, r]) =>
    r.routes.email.filter((a) => a.endsWith('@example.com')).map((a) => `${name}: ${a}`),
  );
  if (placeholder.length > 0) {
    return {
      name: 'smtp',
      status: 'warn',
      detail: `${transports.describe.email} answers, but some recipients are placeholders (${placeholder.join(', ')})`,
      fix: 'set reports.<name>.routes.email in the config file',
    };
  }
  return { name: 'smtp', status: 'ok', detail: `${transports.describe.email} answers` };
}

async function checkOutbox({ sql, now }: DeliveryCheckInput): Promise<CheckResult[]> {
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const problems = await listProblems(sql, { now });
  const dead = problems.filter((p) => p.problem === 'dead' && p.deadAt !== null && p.deadAt > weekAgo).slice(0, 20);
  const retrying = problems.filter((p) => p.problem !== 'dead').slice(0, 20);
  const [{ sent } = { sent: 0 }] = await sql<{ sent: number }[]>`
    select count(*)::bigint as sent from pulsebot.outbox where state = 'sent' and sent_at > ${weekAgo}`;
  const out: CheckResult[] = [];
  for (const d of dead) {
    out.push({
      name: 'delivery failed',
      status: 'fail',
      // Stored errors are redacted on write; rows written before that are redacted here.
      detail: `${d.key}: ${redact(d.lastError ?? 'failed')} (gave up after ${d.attempts} attempts, ${d.deadAt!.toISOString()})`,
      fix: `fix the cause above, then \`pulsebot deliver --resend '${d.key}'\` tries it once more${d.kind === 'report' ? ' (or `pulsebot digest --resend` with the report and a day of its period: all its given-up messages)' : ''}`,
    });
  }
  for (const r of retrying) {
    const next = r.nextAttemptAt
      ? `next try ${r.nextAttemptAt.toISOString()}`
      : 'its sender stopped; the next delivery run resumes it';
    out.push({
      name: 'delivery retrying',
      status: 'warn',
      detail: `${r.key}: attempt ${r.attempts} failed (${redact(r.lastError ?? 'unknown error')}); ${next}`,
      fix: '`pulsebot run` retries it on its own; without the daemon, `pulsebot deliver` (from cron) does',
    });
  }
  if (out.length === 0)
    out.push({
      name: 'deliveries',
      status: 'ok',
      detail: `${sent} messages delivered in the last 7 days, none failing`,
    });
  return out;
}
