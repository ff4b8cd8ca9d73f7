import { InvalidArgumentError, type Command } from 'commander';
import { parseScopeKey } from '../alerts/rules.js';
import { acknowledgedAlerts, type AcknowledgedAlert } from '../alerts/action-store.js';
import { describeSilence, printable, silenceAuthor, slackUser } from '../alerts/silence-text.js';
import { addSilence, listSilences, removeSilence, type StoredSilence } from '../alerts/store.js';
import type { PulsebotConfig } from '../config/schema.js';
import { PulsebotError } from '../errors.js';
import { formatDuration } from '../messages/format.js';
import { loadCommandConfig, openFromConfig, withDatabase, type CommandContext } from './context.js';

/**
 * `pulsebot silence add|list|remove`: silences stored in the database, read by every evaluation
 * pass (and every replica). A silence holds notifications back; the alerts still change state,
 * and one still firing when the silence ends is notified then.
 */

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30m", "2h", "1d" → milliseconds. */
function parseDuration(value: string): number {
  const match = /^\s*(\d+)\s*([mhd])\s*$/.exec(value);
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : 0;
  if (!(ms > 0)) throw new InvalidArgumentError('expected a duration such as 30m, 2h or 1d');
  return ms;
}

function instant(value: string): Date {
  const ok =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
  if (!ok) throw new InvalidArgumentError('expected an ISO 8601 instant with an offset, such as 2026-11-24T18:00:00Z');
  return new Date(value);
}

function scopeKeyArg(value: string): string {
  try {
    parseScopeKey(value);
    return value;
  } catch {
    throw new InvalidArgumentError(
      'expected all or a scope such as provider=openai, model=gpt-4o-mini, service_type=images',
    );
  }
}

function silenceId(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new InvalidArgumentError(
      'expected the id of a silence (a positive whole number, see `pulsebot silence list`)',
    );
  }
  return Number(value);
}

const usage = (message: string, hint?: string) => new PulsebotError('USAGE', message, hint ? { hint } : {});

interface AddOptions {
  rule?: string;
  scope?: string;
  for?: number;
  until?: Date;
  comment: string;
  by?: string;
}

/** The checks that need the config or span several flags; each names the flag to change. */
function checkAdd(
  opts: AddOptions,
  config: PulsebotConfig,
  now: Date,
): { rule: string | null; scope: string | null; endsAt: Date } {
  const rules = config.alerts.rules;
  const names = Object.keys(rules).sort().join(', ');
  if (opts.rule === undefined && opts.scope === undefined) {
    throw usage('--rule: which rule to silence (or --scope to silence every rule on one scope)', `rules: ${names}`);
  }
  const rule = opts.rule === undefined ? null : rules[opts.rule];
  if (opts.rule !== undefined && !rule) throw usage(`--rule: no rule named "${opts.rule}"`, `rules: ${names}`);
  if (rule && opts.scope !== undefined && parseScopeKey(opts.scope).scope !== rule.scope) {
    const example = rule.scope === 'all' ? 'all' : `${rule.scope}=…`;
    throw usage(
      `--scope: rule ${opts.rule} is evaluated per ${rule.scope === 'all' ? 'all traffic' : rule.scope}, so ${opts.scope} would never match`,
      `leave --scope out, or use --scope ${example}`,
    );
  }
  if ((opts.for === undefined) === (opts.until === undefined)) {
    throw usage(
      opts.for === undefined
        ? '--for or --until: how long the silence lasts'
        : '--for and --until: give one of them, not both',
      'e.g. --for 2h, or --until 2026-11-24T18:00:00Z',
    );
  }
  const endsAt = opts.until ?? new Date(now.getTime() + opts.for!);
  if (endsAt <= now) throw usage(`--until: ${endsAt.toISOString()} has passed already`);
  if (opts.comment.trim() === '')
    throw usage('--comment: say why (it is shown to whoever wonders why they were not paged)');
  return { rule: opts.rule ?? null, scope: opts.scope ?? null, endsAt };
}

/** One row of `silence list`; a Slack silence "until resolved" says so, with its 7-day cap. */
function silenceLine(s: StoredSilence, now: Date): string {
  const untilResolved = s.endsWithEpisode !== null && !s.removedAt && s.ends_at > now;
  const span = untilResolved
    ? `${s.starts_at.toISOString()} → until the alert resolves (at most ${s.ends_at.toISOString()})`
    : `${s.starts_at.toISOString()} → ${s.ends_at.toISOString()}`;
  const left = formatDuration(s.ends_at.getTime() - now.getTime());
  const state = s.removedAt
    ? `removed ${s.removedAt.toISOString()}`
    : s.ends_at <= now
      ? 'ended'
      : s.starts_at > now
        ? 'starts later'
        : untilResolved
          ? `at most ${left} left`
          : `${left} left`;
  return `${s.id.padStart(4)}  ${describeSilence(s)}  ${span}  (${state})  by ${silenceAuthor(s.created_by)}: ${printable(s.comment)}`;
}

/** The firing alerts acknowledged from Slack: their repeats are held back as a silence's would be. */
function acknowledgedSection(acks: readonly AcknowledgedAlert[]): string[] {
  if (acks.length === 0) return [];
  return [
    '',
    'acknowledged:',
    ...acks.map(
      (a) =>
        `  ${printable(a.rule)} on ${printable(a.scope)}  by ${slackUser(a)} at ${a.at.toISOString()}${a.firingSince ? `  (firing since ${a.firingSince.toISOString()})` : ''}`,
    ),
  ];
}

export function registerSilence(program: Command, ctx: CommandContext): void {
  const silence = program
    .command('silence')
    .description('hold alert notifications back for a while (stored in the database; the alerts still change state)');

  silence
    .command('add')
    .description('silence a rule (every scope, or one with --scope) for a duration or until an instant')
    .option('--rule <name>', 'the rule to silence (see alerts.rules; `pulsebot alerts --dry-run` lists them)')
    .option(
      '--scope <scope>',
      'only this scope: all, provider=openai, model=gpt-4o-mini, service_type=images',
      scopeKeyArg,
    )
    .option('--for <duration>', 'how long: 30m, 2h, 1d', parseDuration)
    .option('--until <instant>', 'until an ISO 8601 instant with an offset, e.g. 2026-11-24T18:00:00Z', instant)
    .requiredOption('--comment <text>', 'why (shown in `silence list` and logged with held-back alerts)')
    .option('--by <name>', 'who silences (default: $USER)')
    .action(async (opts: AddOptions) => {
      // Usage is checked before the database is opened: a typo needs no connection to be reported.
      const loaded = loadCommandConfig(ctx);
      const now = ctx.now();
      const checked = checkAdd(opts, loaded.config, now);
      const createdBy = opts.by ?? ctx.env.USER ?? ctx.env.LOGNAME ?? 'unknown';
      const db = await openFromConfig(ctx, loaded);
      try {
        const s = await addSilence(
          db.sql,
          {
            rule: checked.rule,
            scope: checked.scope,
            startsAt: now,
            endsAt: checked.endsAt,
            comment: opts.comment.trim(),
            createdBy,
          },
          now,
        );
        ctx.io.out(
          `silence ${s.id}: ${describeSilence(s)} until ${s.ends_at.toISOString()} (${formatDuration(s.ends_at.getTime() - now.getTime())}) — ${printable(s.comment)}`,
        );
      } finally {
        await db.close();
      }
    });

  silence
    .command('list')
    .description('the silences in force or still to come (--all: also those that ended or were removed)')
    .option('--all', 'include ended and removed silences')
    .action(async (opts: { all?: boolean }) => {
      await withDatabase(ctx, async (db) => {
        const now = ctx.now();
        const list = await listSilences(db.sql, { now, all: opts.all === true });
        const acks = await acknowledgedAlerts(db.sql);
        if (list.length === 0) {
          ctx.io.out(
            opts.all
              ? 'no silences'
              : 'no silences in force (pulsebot silence add --rule NAME --for 2h --comment "why")',
          );
        }
        for (const s of list) ctx.io.out(silenceLine(s, now));
        for (const line of acknowledgedSection(acks)) ctx.io.out(line);
      });
    });

  silence
    .command('remove')
    .description('end a silence now (it stays listed with --all)')
    .argument('<id>', 'the silence id from `pulsebot silence list`', silenceId)
    .action(async (id: number) => {
      await withDatabase(ctx, async (db) => {
        const removed = await removeSilence(db.sql, id, ctx.now());
        if (!removed)
          throw new PulsebotError('USAGE', `no silence ${id} in force`, { hint: 'see `pulsebot silence list`' });
        ctx.io.out(
          `silence ${removed.id} removed: ${describeSilence(removed)} — notifications resume with the next evaluation`,
        );
      });
    });
}
