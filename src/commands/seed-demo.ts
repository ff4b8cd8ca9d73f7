import { InvalidArgumentError, type Command } from 'commander';
import { seedDemo } from '../demo/seed.js';
import { formatCount, formatMs } from '../messages/format.js';
import { withDatabase, type CommandContext } from './context.js';

export function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return n;
  };
}

function instant(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-11-24T09:00:00Z');
  return d;
}

export function registerSeedDemo(program: Command, ctx: CommandContext): void {
  program
    .command('seed-demo')
    .description('write realistic synthetic API usage (is_synthetic = true) for the last N days, up to now')
    .option('--days <n>', 'how many days back from now', positiveInt('--days', 400), 30)
    .option('--rows-per-day <n>', 'average API calls per day', positiveInt('--rows-per-day', 5_000_000), 2000)
    .option('--seed <s>', 'random seed: the same seed and --now give the same rows', '1')
    .option('--now <time>', 'end of the generated period (default: the present moment)', instant)
    .option('--append', 'keep synthetic rows of earlier runs (default: replace them; real rows are never touched)')
    .option('--anonymous', 'write the calls with user_id null and no subscriptions (for a user_id with a foreign key)')
    .addHelpText('after', '\nRemove all demo data later with: DELETE FROM api_usage WHERE is_synthetic;')
    .action(
      async (opts: {
        days: number;
        rowsPerDay: number;
        seed: string;
        now?: Date;
        append?: boolean;
        anonymous?: boolean;
      }) => {
        const now = opts.now ?? ctx.now();
        await withDatabase(ctx, async (db) => {
          const started = Date.now();
          const r = await seedDemo(db.sql, {
            now,
            days: opts.days,
            rowsPerDay: opts.rowsPerDay,
            seed: opts.seed,
            append: !!opts.append,
            anonymous: !!opts.anonymous,
          });
          if (r.removedRows > 0)
            ctx.io.out(`replaced ${formatCount(r.removedRows)} synthetic rows from an earlier run`);
          ctx.io.out(
            `${db.description}: wrote ${formatCount(r.rows)} api_usage rows over ${formatCount(opts.days)} days, ${formatCount(r.users)} users, ${formatCount(r.subscriptions)} subscriptions (${formatMs(Date.now() - started)})`,
          );
          for (const i of r.incidents)
            ctx.io.out(`  incident: ${i.description} (${i.start.toISOString()} – ${i.end.toISOString()})`);
          ctx.io.out('next: `pulsebot refresh` to update the dashboard views');
        });
      },
    );
}
