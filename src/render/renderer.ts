import type { TopLevelSpec } from 'vega-lite';
import type { RenderedChart } from '../charts/render.js';
import { createRenderProcess, type RenderProcess, type RenderProcessOptions } from './render-process.js';

/**
 * Where charts and email HTML are rendered. By default in this process (the CLI: a digest run
 * renders and exits); `pulsebot run` switches to a short-lived child process so the libraries
 * never load into the long-running daemon. The libraries are imported on first use either way:
 * nothing here pulls them in.
 */

let renderProcess: RenderProcess | null = null;

/** From now on, render in a child process (the daemon, at start). */
export function renderInChildProcess(options: RenderProcessOptions): RenderProcess {
  if (renderProcess) throw new Error('already rendering in a child process');
  renderProcess = createRenderProcess(options);
  return renderProcess;
}

/** Back to rendering in this process; stops the child. */
export async function stopRenderingInChildProcess(): Promise<void> {
  const proc = renderProcess;
  renderProcess = null;
  await proc?.close();
}

/** Vega-Lite spec → PNG (src/charts/render.ts). */
export async function renderChart(spec: TopLevelSpec, opts: { scale?: number } = {}): Promise<RenderedChart> {
  if (renderProcess) return renderProcess.chart(spec, opts.scale);
  const { renderChart: render } = await import('../charts/render.js');
  return render(spec, opts);
}

/** MJML source → email HTML, placeholders filled from `slots` (src/messages/mjml-compile.ts). */
export async function compileMjml(source: string, filePath: string, slots: Record<string, string>): Promise<string> {
  if (renderProcess) return renderProcess.mjml(source, filePath, slots);
  const { compileMjml: compile } = await import('../messages/mjml-compile.js');
  return compile(source, filePath, slots);
}
