import { toRemoteError, type RenderReply, type RenderReplyBody, type RenderRequest } from './render-protocol.js';

/**
 * The render process (forked by render-process.ts): charts (vega → SVG → sharp → PNG) and email
 * HTML (mjml) for the daemon. The libraries load here on the first job; the process exits when
 * the daemon disconnects it after a quiet spell, and their memory goes with it.
 */

if (!process.send) {
  console.error('render-worker.ts is started by pulsebot run, not by hand');
  process.exit(2);
}

const reply = (message: RenderReplyBody) =>
  process.send!({ ...message, rss: process.memoryUsage.rss() } as RenderReply);

async function handle(request: RenderRequest): Promise<void> {
  try {
    if (request.kind === 'chart') {
      const { renderChart } = await import('../charts/render.js');
      const chart = await renderChart(request.spec, { scale: request.scale });
      reply({ id: request.id, ok: true, chart });
    } else {
      const { compileMjml } = await import('../messages/mjml-compile.js');
      reply({ id: request.id, ok: true, html: await compileMjml(request.source, request.filePath, request.slots) });
    }
  } catch (error) {
    reply({ id: request.id, ok: false, error: toRemoteError(error) });
  }
}

process.on('message', (request: RenderRequest) => void handle(request));
// Ctrl-C reaches the whole process group and systemd signals the whole cgroup: the daemon drains
// its jobs on that signal, and the charts of a report it is finishing must still render. This
// process leaves when the daemon disconnects it (or dies: the channel closes too).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// The daemon went away (or let this process go): nothing left to do.
process.on('disconnect', () => process.exit(0));
