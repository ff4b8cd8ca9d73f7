import type { Logger } from './logger.js';

/**
 * SIGTERM/SIGINT handling: the first signal starts a graceful shutdown; a second one, or a
 * shutdown still unfinished after the bound, ends the process with exit code 1. The force-exit
 * timer is unref'd, so it never keeps a finished process alive.
 */

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

export interface SignalSource {
  on(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
}

export interface SignalHandlingOptions {
  signals: SignalSource;
  log: Logger;
  /** Graceful shutdown: resolves 0 when everything finished, 1 when something had to be abandoned. */
  shutdown(reason: string): Promise<0 | 1>;
  /** process.exit */
  exit(code: number): void;
  /** From the first signal until the process is forced out. */
  forceExitAfterMs: number;
}

export interface SignalHandling {
  /** The exit code of the graceful shutdown, once a signal has started and finished it. */
  done: Promise<0 | 1>;
  dispose(): void;
}

export function handleSignals(options: SignalHandlingOptions): SignalHandling {
  const { signals, log } = options;
  let started = false;
  let resolveDone!: (code: 0 | 1) => void;
  const done = new Promise<0 | 1>((resolve) => {
    resolveDone = resolve;
  });

  const onSignal = (signal: ShutdownSignal) => {
    if (started) {
      log.error(
        { event: 'daemon.forced_exit', signal },
        `second ${signal}: exiting now without waiting for runs in flight`,
      );
      options.exit(1);
      return;
    }
    started = true;
    log.info(
      { event: 'daemon.shutdown', signal },
      `${signal}: shutting down (no new ticks; waiting for runs in flight)`,
    );
    const force = setTimeout(() => {
      log.error(
        { event: 'daemon.forced_exit', signal, afterMs: options.forceExitAfterMs },
        `still running ${options.forceExitAfterMs} ms after ${signal}: exiting with code 1`,
      );
      options.exit(1);
    }, options.forceExitAfterMs);
    force.unref();
    options.shutdown(signal).then(
      (code) => resolveDone(code),
      (error: unknown) => {
        log.error({ event: 'daemon.shutdown_failed', error: String(error) }, 'shutdown failed');
        resolveDone(1);
      },
    );
  };

  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  return {
    done,
    dispose() {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
    },
  };
}
