import { escapeHtml as esc } from '../messages/markup.js';
import type { DigestModel } from './digest-model.js';
import { blockKitDetails, emailFrame, FIT_FRAMES_SCRIPT, PREVIEW_CSS, slackMessageHtml } from './preview-page-parts.js';

/**
 * index.html of a digest preview: the email as recipients see it, the Slack message as a
 * channel shows it (approximately) with its Block Kit JSON, and the charts, side by side.
 * Pure: file names and the email's browser HTML in, HTML out.
 */
export interface PreviewFiles {
  title: string;
  /** The email file and its HTML with chart paths a browser loads. */
  email: { file: string; html: string; subject: string; textFile: string } | null;
  /** Each channel's message, and its reply in the thread with the details, if any. */
  slack: Array<{
    channel: string;
    blocks: unknown[];
    text: string;
    json: string;
    thread: { blocks: unknown[]; json: string } | null;
  }>;
  charts: Array<{ file: string; title: string; alt: string }>;
  snapshotJson: string;
  /** A section of its own under the digest (the demo's example alert), as HTML. */
  extraSection?: string;
}

/**
 * The chart draws its own title, and its alt text opens by restating it ("Top models by cost on
 * 2026-12-06: luma/ray-2 $4.84, …"): the caption keeps what follows that lead-in.
 */
function chartCaption(alt: string): string {
  const at = alt.indexOf(': ');
  return at > 0 && at < 100 && at + 2 < alt.length ? alt.slice(at + 2) : alt;
}

export function previewPage(model: DigestModel, files: PreviewFiles): string {
  const s = model.snapshot;
  const thread = files.charts.length
    ? `Thread: ${files.charts.length} chart${files.charts.length === 1 ? '' : 's'} uploaded as files`
    : '';
  const slack = files.slack
    .map(
      (m) => `
      <h3>Slack · ${esc(m.channel)}</h3>
      ${slackMessageHtml(m.blocks, thread)}
      ${blockKitDetails(m.blocks, m.json)}${
        m.thread
          ? `
      <h4>Reply in the thread: the details</h4>
      ${slackMessageHtml(m.thread.blocks, '')}
      ${blockKitDetails(m.thread.blocks, m.thread.json)}`
          : ''
      }`,
    )
    .join('\n');
  const email = files.email
    ? `<h3>Email · ${esc(files.email.subject)}</h3>
      <p class="meta"><a href="${esc(files.email.file)}">the email alone</a> · <a href="${esc(files.email.textFile)}">plain-text part</a></p>
      ${emailFrame(files.email.html, 'the email')}`
    : '<h3>Email</h3><p>No email recipients are configured for this report.</p>';
  const charts = files.charts
    .map(
      (c) =>
        `<figure><img src="${esc(c.file)}" alt="${esc(c.alt)}"><figcaption>${esc(chartCaption(c.alt))}</figcaption></figure>`,
    )
    .join('\n');
  const failed = model.failedCharts.length
    ? `<p class="warn">${model.failedCharts.map((f) => `Chart ${esc(f.id)} failed: ${esc(f.error)}`).join('<br>')}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(files.title)} · ${esc(s.period.label)} · pulsebot preview</title>
<style>${PREVIEW_CSS}
  main { display: grid; grid-template-columns: minmax(360px, 680px) minmax(360px, 1fr); gap: 24px; padding: 24px; align-items: start; }
  main > .wide { grid-column: 1 / -1; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
</style></head>
<body>
<header><strong>${esc(files.title)}</strong> · ${esc(s.period.label)} (${esc(s.report.timeZone)})
  <p>Preview written by pulsebot; nothing was sent. <a href="${esc(files.snapshotJson)}">snapshot.json</a> holds every number.</p></header>
<main>
  <section>${email}</section>
  <section>${slack || '<h3>Slack</h3><p>No Slack channels are configured for this report.</p>'}
    <h3>Charts</h3>${failed}${charts || '<p>No charts configured.</p>'}</section>
  ${files.extraSection ? `<section class="wide">${files.extraSection}</section>` : ''}
</main>
${FIT_FRAMES_SCRIPT}
</body></html>
`;
}
