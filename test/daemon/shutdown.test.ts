import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, lineDestination } from '../../src/daemon/logger.js';
import { handleSignals, type ShutdownSignal } from '../../src/daemon/shutdown.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function fixture(shutdown: (reason: string) => Promise<0 | 1>) {
  const lines: string[] = [];
  const log = await createLogger({ level: 'info', pretty: false, destination: lineDestination((l) => lines.push(l)) });
  const signals = new EventEmitter();
  const exits: number[] = [];
  const handling = handleSignals({
    signals: {
      on: (s: ShutdownSignal, f: () => void) => signals.on(s, f),
      off: (s: ShutdownSignal, f: () => void) => signals.off(s, f),
    },
    log,
    shutdown,
    exit: (code) => exits.push(code),
    forceExitAfterMs: 25_000,
  });
  return { signals, exits, handling, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('signal handling', () => {
  it('the first signal starts a graceful shutdown whose code becomes the result', async () => {
    const reasons: string[] = [];
    const { signals, exits, handling, records } = await fixture(async (reason) => {
      reasons.push(reason);
      return 0;
    });
    signals.emit('SIGTERM');
    await expect(handling.done).resolves.toBe(0);
    expect(reasons).toEqual(['SIGTERM']);
    expect(exits).toEqual([]);
    expect(records()[0]).toMatchObject({ level: 'info', event: 'daemon.shutdown', signal: 'SIGTERM' });
    handling.dispose();
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });

  it('a second signal exits 1 at once, with a log line', async () => {
    const { signals, exits, records } = await fixture(() => new Promise(() => {}));
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(exits).toEqual([1]);
    expect(records().at(-1)).toMatchObject({ level: 'error', event: 'daemon.forced_exit', signal: 'SIGINT' });
  });

  it('a shutdown still running at the bound is forced out with exit 1; the timer is unref’d', async () => {
    const unref = vi.spyOn(globalThis, 'setTimeout');
    const { signals, exits, records } = await fixture(() => new Promise(() => {}));
    signals.emit('SIGTERM');
    const timer = unref.mock.results.at(-1)?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await vi.advanceTimersByTimeAsync(24_999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(records().at(-1)).toMatchObject({ level: 'error', event: 'daemon.forced_exit', afterMs: 25_000 });
  });
});
