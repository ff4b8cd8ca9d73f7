import { acknowledgedAlerts } from '../alerts/action-store.js';
import { describeSilence, printable, silenceAuthor, slackUser } from '../alerts/silence-text.js';
import { listSilences } from '../alerts/store.js';
import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { formatInstant } from '../messages/dates.js';
import type { CheckResult } from './check-result.js';

/**
 * Information lines of `pulsebot doctor`, not checks: which firing alerts someone acknowledged
 * (their repeats are held back) and which silences are in force. Whoever wonders why an alert
 * went quiet finds the answer next to the checks; `pulsebot silence list` has the full rows.
 */

/** More than this many items on one line stop being readable; the rest are counted. */
const MAX_ITEMS = 10;

function joined(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, MAX_ITEMS).map(printable).join('; ');
  return items.length > MAX_ITEMS ? `${shown}; and ${items.length - MAX_ITEMS} more (pulsebot silence list)` : shown;
}

export async function alertActivity(input: { sql: Sql; config: PulsebotConfig; now: Date }): Promise<CheckResult[]> {
  const { sql, now } = input;
  const [schema] = await sql<{ present: boolean }[]>`
    select to_regclass('pulsebot.alert_actions') is not null as present`;
  if (!schema?.present) {
    return [
      {
        name: 'alert activity',
        status: 'warn',
        detail: 'acknowledged alerts and silences not shown: pulsebot.alert_actions does not exist',
        fix: 'run `pulsebot migrate`',
      },
    ];
  }
  const at = (d: Date) => formatInstant(d.toISOString(), input.config.alerts.timezone);

  const acknowledged = (await acknowledgedAlerts(sql)).map(
    (a) =>
      `${a.rule} on ${a.scope}: acknowledged by ${slackUser(a)} at ${at(a.at)}${a.firingSince ? `, firing since ${at(a.firingSince)}` : ''}`,
  );
  const silences = (await listSilences(sql, { now })).map((s) => {
    const from = s.starts_at > now ? ` from ${at(s.starts_at)}` : '';
    const until = s.endsWithEpisode ? `until the alert resolves (at most ${at(s.ends_at)})` : `until ${at(s.ends_at)}`;
    return `${s.id}: ${describeSilence(s)}${from} ${until}, by ${silenceAuthor(s.created_by)} (“${s.comment}”)`;
  });
  return [
    { name: 'acknowledged alerts', status: 'ok', detail: joined(acknowledged) },
    { name: 'silences', status: 'ok', detail: joined(silences) },
  ];
}
