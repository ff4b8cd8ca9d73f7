import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAlerts } from './commands/alerts.js';
import { registerDeliver } from './commands/deliver.js';
import { registerDemo } from './commands/demo.js';
import { registerDigest } from './commands/digest.js';
import { registerDoctor } from './commands/doctor.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRefresh } from './commands/refresh.js';
import { registerRun } from './commands/run.js';
import { registerSeedDemo } from './commands/seed-demo.js';
import { registerSilence } from './commands/silence.js';
import { registerSnapshot } from './commands/snapshot.js';
import type { CommandContext, Io } from './commands/context.js';
import { PulsebotError, exitCodeFor, messageOf } from './errors.js';
import { redact, rememberEnvironmentSecrets } from './redact.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export interface MainOptions {
  env: NodeJS.ProcessEnv;
  io: Io;
  now?: () => Date;
}

/** Runs one CLI invocation and returns its exit code: 0 ok, 1 runtime failure, 2 bad usage or config. */
export async function main(
  argv: readonly string[],
  { env, io: rawIo, now = () => new Date() }: MainOptions,
): Promise<number> {
  // Every line the CLI prints goes through the redaction, which knows the environment's secrets.
  rememberEnvironmentSecrets(env);
  const io: Io = { out: (line) => rawIo.out(redact(line)), err: (line) => rawIo.err(redact(line)) };
  let exitCode: 0 | 1 | 2 = 0;
  const program = new Command('pulsebot')
    .description('Keeps AI API usage analytics fresh, scores their health, and reports them to Slack and email.')
    .version(pkg.version, '-V, --version')
    .option('-c, --config <file>', 'config file (default: $PULSEBOT_CONFIG, else config/pulsebot.yaml if present)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    })
    .showHelpAfterError('(run `pulsebot --help` for usage)');
  program.addHelpText(
    'after',
    `
Environment:
  DATABASE_URL         PostgreSQL to use; unset: embedded PGlite under PULSEBOT_DATA_DIR (default ./data)
  PULSEBOT_CONFIG      config file (default config/pulsebot.yaml)
  DEBUG=1              show stack traces

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.`,
  );

  const ctx: CommandContext = {
    env,
    io,
    now,
    configPath: () => program.opts<{ config?: string }>().config,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  registerMigrate(program, ctx);
  registerSeedDemo(program, ctx);
  registerRefresh(program, ctx);
  registerSnapshot(program, ctx);
  registerDigest(program, ctx);
  registerDeliver(program, ctx);
  registerRun(program, ctx);
  registerAlerts(program, ctx);
  registerSilence(program, ctx);
  registerDoctor(program, ctx);
  registerDemo(program, ctx);

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    reportError(error, io, env);
    return exitCodeFor(error);
  }
}

/**
 * The CLI's io on the process's streams. A reader that goes away (`pulsebot refresh | head -1`)
 * closes the pipe: later lines are dropped and the command finishes its work and exits with its
 * usual code, instead of dying on an unhandled EPIPE.
 */
export function processIo(
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Io {
  const writer = (stream: NodeJS.WritableStream) => {
    let open = true;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
      open = false;
    });
    return (line: string) => {
      if (open) stream.write(`${line}\n`);
    };
  };
  return { out: writer(stdout), err: writer(stderr) };
}

function reportError(error: unknown, io: Io, env: NodeJS.ProcessEnv): void {
  io.err(`pulsebot: ${messageOf(error)}`);
  if (error instanceof PulsebotError && error.hint) {
    for (const line of error.hint.split('\n')) io.err(`  ${line}`);
  }
  if (env.DEBUG === '1' || env.DEBUG === 'true') {
    let e: unknown = error;
    while (e instanceof Error) {
      io.err(e.stack ?? String(e));
      e = e.cause;
      if (e !== undefined) io.err('caused by:');
    }
  } else if (!(error instanceof PulsebotError)) {
    io.err('  (unexpected error; run with DEBUG=1 for the stack trace)');
  }
}
