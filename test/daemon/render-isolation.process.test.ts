import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshEnvironment, type FreshEnvironment } from '../support/databases.js';
import { spawnDaemon, type DaemonProcess } from './daemon-process.js';

/**
 * `pulsebot run` renders charts and email HTML in a child process that leaves when idle, so the
 * daemon's own memory never holds vega, sharp (libvips) or mjml. Checked from the outside: the
 * report arrives with its chart and its HTML, and the daemon's memory map never had libvips in it
 * (the render process's did; it is gone after its idle time).
 */

const linux = process.platform === 'linux';

function mapsOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe.skipIf(!linux)('pulsebot run renders in a child process', () => {
  let env: FreshEnvironment;
  let dir: string;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    env = await freshEnvironment('pglite');
    dir = mkdtempSync(join(tmpdir(), 'pulsebot-render-'));
    writeFileSync(
      join(dir, 'pulsebot.yaml'),
      [
        'alerts:',
        '  evaluate_schedule: "0 0 1 1 *"',
        'reports:',
        '  daily:',
        '    period: day',
        '    schedule: "*/2 * * * * *"',
        '    sections: [kpis]',
        '    charts: [daily_cost_by_provider]',
        '    routes:',
        '      slack: []',
        '      email: ["ops@example.com"]',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    await env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a report with its chart while the daemon itself never loads libvips', async () => {
    const outbox = join(dir, 'outbox');
    daemon = spawnDaemon({
      ...env.env,
      PULSEBOT_CONFIG: join(dir, 'pulsebot.yaml'),
      PULSEBOT_OUTBOX_DIR: outbox,
      PULSEBOT_LOG_LEVEL: 'debug',
    });
    const port = await daemon.port();
    const pid = daemon.child.pid!;

    let renderPid: number | null = null;
    let renderMaps = '';
    const started = await daemon.waitFor('the render process', (r) => r.event === 'render.started', 90_000);
    renderPid = Number(started.pid);
    // While it renders, the render process is this daemon's child and holds the chart libraries.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !/libvips/.test(renderMaps)) {
      if (childrenOf(pid).includes(renderPid)) renderMaps = mapsOf(renderPid);
      await new Promise((r) => setTimeout(r, 100));
    }
    await daemon.waitFor('the email in the outbox', (r) => r.event === 'outbox.sent' && r.channel === 'email', 90_000);

    expect(renderMaps).toMatch(/libvips/);
    expect(mapsOf(pid)).not.toMatch(/libvips/);
    const emails = readdirSync(outbox, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.eml'));
    expect(emails.length).toBeGreaterThan(0);
    const eml = readFileSync(join(outbox, emails[0]!), 'utf8');
    expect(eml).toMatch(/Content-Type: text\/html/i);
    expect(eml).toMatch(/Content-Type: image\/png/i);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(Number(/^pulsebot_render_process_starts_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(daemon.records.filter((r) => r.event === 'render.exited' && r.expected === false)).toEqual([]);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited, daemon.stderr()).toBe(0);
    // Shutdown takes the render process along.
    expect(existsSync(`/proc/${renderPid}`) && !readFileSync(`/proc/${renderPid}/stat`, 'utf8').includes(') Z')).toBe(
      false,
    );
  }, 180_000);
});
