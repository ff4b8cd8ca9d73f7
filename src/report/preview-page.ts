import { escapeHtml as esc } from '../messages/markup.js';
import type { DigestModel } from './digest-model.js';
import { blocksToHtml } from './slack-preview-html.js';

/**
 * index.html of a digest preview: the email as recipients see it, the Slack message as a
 * channel shows it (approximately), and the charts, side by side. Pure: file names in, HTML out.
 */
export interface PreviewFiles {
  title: string;
  emailHtml: string | null;
  emailSubject: string | null;
  emailText: string | null;
  slack: Array<{ channel: string; blocks: unknown[]; text: string; json: string }>;
  charts: Array<{ file: string; title: string; alt: string }>;
  snapshotJson: string;
}

export function previewPage(model: DigestModel, files: PreviewFiles): string {
  const s = model.snapshot;
  const slack = files.slack
    .map(
      (m) => `
      <h3>Slack · ${esc(m.channel)}</h3>
      <div class="sk">${blocksToHtml(m.blocks)}
        ${files.charts.length ? `<div class="sk-thread">Thread: ${files.charts.length} chart${files.charts.length === 1 ? '' : 's'} uploaded as files</div>` : ''}
      </div>
      <details><summary>Block Kit JSON (${esc(m.json)})</summary><p>Paste into Slack's Block Kit Builder to see the real rendering.</p></details>`,
    )
    .join('\n');
  const email = files.emailHtml
    ? `<h3>Email · ${esc(files.emailSubject ?? '')}</h3>
      <iframe src="${esc(files.emailHtml)}" title="email preview"></iframe>
      ${files.emailText ? `<p><a href="${esc(files.emailText)}">plain-text part</a></p>` : ''}`
    : '<h3>Email</h3><p>No email recipients are configured for this report.</p>';
  const charts = files.charts
    .map(
      (c) =>
        `<figure><img src="${esc(c.file)}" alt="${esc(c.alt)}"><figcaption>${esc(c.title)}: ${esc(c.alt)}</figcaption></figure>`,
    )
    .join('\n');
  const failed = model.failedCharts.length
    ? `<p class="warn">${model.failedCharts.map((f) => `Chart ${esc(f.id)} failed: ${esc(f.error)}`).join('<br>')}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(files.title)} · ${esc(s.period.label)} · pulsebot preview</title>
<style>
  body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; background: #f4f5f7; color: #1f2328; }
  header { padding: 16px 24px; background: #1f2328; color: #fff; }
  header p { margin: 4px 0 0; color: #c9d1d9; }
  header a { color: #9ecbff; }
  main { display: grid; grid-template-columns: minmax(360px, 680px) minmax(360px, 1fr); gap: 24px; padding: 24px; }
  section { background: #fff; border-radius: 8px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  iframe { width: 100%; height: 1800px; border: 1px solid #e6e8eb; border-radius: 6px; }
  .sk { border-left: 4px solid #4a154b; padding: 8px 12px; background: #fff; }
  .sk-header { font-size: 18px; font-weight: 700; margin: 6px 0; }
  .sk-section { margin: 8px 0; }
  .sk-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 16px; margin-top: 6px; }
  .sk-context { color: #616061; font-size: 12px; margin: 6px 0; }
  .sk-divider { border: 0; border-top: 1px solid #e6e8eb; }
  .sk-button { display: inline-block; border: 1px solid #c9c9c9; border-radius: 4px; padding: 4px 12px; color: #1d1c1d; text-decoration: none; font-weight: 600; }
  .sk-thread { color: #1264a3; font-size: 12px; margin-top: 8px; }
  pre { background: #f8f8f8; border: 1px solid #e6e8eb; padding: 8px; overflow-x: auto; font-size: 12px; }
  code { background: #f2f2f2; padding: 0 3px; }
  figure { margin: 0 0 16px; } figure img { width: 100%; max-width: 720px; border: 1px solid #e6e8eb; }
  figcaption { color: #59636e; font-size: 12px; }
  .warn { color: #b35900; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
</style></head>
<body>
<header><strong>${esc(files.title)}</strong> · ${esc(s.period.label)} (${esc(s.report.timeZone)})
  <p>Preview written by pulsebot; nothing was sent. <a href="${esc(files.snapshotJson)}">snapshot.json</a> holds every number.</p></header>
<main>
  <section>${email}</section>
  <section>${slack || '<h3>Slack</h3><p>No Slack channels are configured for this report.</p>'}
    <h3>Charts</h3>${failed}${charts || '<p>No charts configured.</p>'}</section>
</main>
</body></html>
`;
}
