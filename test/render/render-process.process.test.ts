import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { renderChart as renderChartHere } from '../../src/charts/render.js';
import { PulsebotError } from '../../src/errors.js';
import { compileMjml as compileMjmlHere } from '../../src/messages/mjml-compile.js';
import { TEMPLATES_DIR } from '../../src/messages/mjml-render.js';
import {
  createRenderProcess,
  type RenderProcess,
  type RenderProcessEvent,
  type RenderProcessOptions,
} from '../../src/render/render-process.js';
import { catalogCases } from '../charts/fixtures.js';

// The worker is TypeScript here: run it through tsx, as `pulsebot run` from source does.
const TSX = ['--import', 'tsx'];
const opened: RenderProcess[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

function open(options: Partial<RenderProcessOptions> = {}): { proc: RenderProcess; events: RenderProcessEvent[] } {
  const events: RenderProcessEvent[] = [];
  const proc = createRenderProcess({
    idleMs: 60_000,
    jobTimeoutMs: 60_000,
    execArgv: TSX,
    onEvent: (e) => events.push(e),
    ...options,
  });
  opened.push(proc);
  return { proc, events };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const spark = () => catalogCases().find((c) => c.name === 'alert-sparkline')!;
const MJML = '<mjml><mj-body><mj-section><mj-column><mj-text>{{a}}</mj-text></mj-column></mj-section></mj-body></mjml>';
const mjmlPath = join(TEMPLATES_DIR, 'digest.mjml');

describe('render process', () => {
  it('renders the same PNG and the same email HTML as rendering in this process', async () => {
    const { proc, events } = open();
    const c = spark();
    const [there, here] = await Promise.all([proc.chart(c.spec, 1), renderChartHere(c.spec, { scale: 1 })]);
    expect(Buffer.isBuffer(there.png)).toBe(true);
    expect([there.width, there.height]).toEqual([here.width, here.height]);
    expect(there.png.equals(here.png)).toBe(true);
    const slots = { a: 'R&amp;D &lt;b&gt;' };
    expect(await proc.mjml(MJML, mjmlPath, slots)).toBe(await compileMjmlHere(MJML, mjmlPath, slots));
    // One process served both jobs, and it reported its memory.
    expect(events.filter((e) => e.event === 'render.started')).toHaveLength(1);
    expect(events.some((e) => e.event === 'render.memory' && e.rss > 0)).toBe(true);
  });

  it('keeps jobs in flight apart: replies go to the job that asked', async () => {
    const { proc } = open();
    const cases = catalogCases().slice(0, 4);
    const results = await Promise.all(cases.map((c) => proc.chart(c.spec)));
    results.forEach((r, i) => expect([r.width, r.height]).toEqual([cases[i]!.width, cases[i]!.height]));
  });

  it('hands errors back with their code, hint and name', async () => {
    const { proc } = open();
    const err = await proc.mjml(MJML, mjmlPath, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulsebotError);
    expect((err as PulsebotError).code).toBe('RENDER_FAILED');
    expect((err as Error).message).toMatch(/placeholders without a value: a/);
    const spec = { ...spark().spec, data: { url: 'file:///etc/passwd' } } as TopLevelSpec;
    const refused = await proc.chart(spec).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('ChartLoadError');
    expect((refused as Error).message).toMatch(/may not load files or URLs/);
    // The process survives a failed job.
    expect((await proc.chart(spark().spec)).png.length).toBeGreaterThan(100);
  });

  it('goes away when idle, and a later job starts a new one', async () => {
    const { proc, events } = open({ idleMs: 300 });
    await proc.chart(spark().spec);
    const first = proc.pid()!;
    expect(alive(first)).toBe(true);
    await until('the idle exit', () => proc.pid() === null && !alive(first));
    expect(events).toContainEqual(expect.objectContaining({ event: 'render.exited', pid: first, expected: true }));
    await proc.chart(spark().spec);
    expect(proc.pid()).not.toBe(first);
    expect(events.filter((e) => e.event === 'render.started')).toHaveLength(2);
  });

  it('a process on its way out fails none of the jobs its successor took', async () => {
    // Let go 1 ms after each job; the next job comes while the previous process is still exiting.
    const { proc, events } = open({ idleMs: 1 });
    for (let i = 0; i < 4; i++) {
      expect((await proc.chart(spark().spec)).png.length).toBeGreaterThan(100);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(events.filter((e) => e.event === 'render.started').length).toBeGreaterThan(1);
    expect(events.filter((e) => e.event === 'render.exited' && !e.expected)).toEqual([]);
  });

  it('fails the jobs of a process that dies, and recovers with the next job', async () => {
    const { proc, events } = open();
    const job = proc.chart(spark().spec);
    await until('the process', () => proc.pid() !== null);
    const pid = proc.pid()!;
    process.kill(pid, 'SIGKILL');
    const err = await job.catch((e: unknown) => e);
    expect((err as PulsebotError).code).toBe('RENDER_FAILED');
    expect((err as Error).message).toMatch(/render process exited \(SIGKILL\)/);
    expect(events).toContainEqual(expect.objectContaining({ event: 'render.exited', pid, expected: false }));
    expect((await proc.chart(spark().spec)).png.length).toBeGreaterThan(100);
  });

  it('finishes its jobs when SIGTERM or SIGINT reaches it (Ctrl-C, systemd): only the daemon lets it go', async () => {
    const { proc } = open();
    await proc.chart(spark().spec);
    const pid = proc.pid()!;
    const job = proc.chart(catalogCases()[0]!.spec);
    process.kill(pid, 'SIGTERM');
    process.kill(pid, 'SIGINT');
    expect((await job).png.length).toBeGreaterThan(100);
    expect(alive(pid)).toBe(true);
    await proc.close();
    expect(alive(pid)).toBe(false);
  });

  it('stops a job that takes too long and kills its process', async () => {
    // Loading vega alone takes longer than 5 ms.
    const { proc } = open({ jobTimeoutMs: 5 });
    const job = proc.chart(spark().spec);
    await until('the process', () => proc.pid() !== null);
    const pid = proc.pid()!;
    const err = await job.catch((e: unknown) => e);
    expect((err as PulsebotError).code).toBe('RENDER_FAILED');
    expect((err as Error).message).toMatch(/longer than 5 ms/);
    await until('the kill', () => !alive(pid));
  });

  it('refuses jobs after close, and close leaves no process behind', async () => {
    const { proc } = open();
    await proc.chart(spark().spec);
    const pid = proc.pid()!;
    await proc.close();
    expect(alive(pid)).toBe(false);
    await expect(proc.chart(spark().spec)).rejects.toThrow(/closed/);
  });
});
