import { escapeHtml as esc } from '../messages/markup.js';
import { blocksToHtml } from './slack-preview-html.js';

/**
 * The pieces the preview pages (a digest's index.html, the alerts' index.html) share: the email
 * in a frame as tall as the email, the Slack message drawn roughly with its Block Kit JSON beside
 * it, and the page's style. Pure strings; the pages work as static files opened from disk.
 */

export const PREVIEW_CSS = `
  body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; background: #f4f5f7; color: #1f2328; }
  header { padding: 16px 24px; background: #1f2328; color: #fff; }
  header p { margin: 4px 0 0; color: #c9d1d9; }
  header a { color: #9ecbff; }
  section { background: #fff; border-radius: 8px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); min-width: 0; }
  h2 { margin: 0 0 4px; font-size: 18px; }
  h3 { margin: 16px 0 8px; font-size: 15px; }
  h3:first-child { margin-top: 0; }
  iframe.email { display: block; width: 100%; height: 80vh; border: 1px solid #e6e8eb; border-radius: 6px; background: #fff; }
  .sk { border-left: 4px solid #4a154b; padding: 8px 12px; background: #fff; overflow-wrap: anywhere; }
  .sk-header { font-size: 18px; font-weight: 700; margin: 6px 0; }
  .sk-section { margin: 8px 0; }
  .sk-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 16px; margin-top: 6px; }
  .sk-context { color: #616061; font-size: 12px; margin: 6px 0; }
  .sk-divider { border: 0; border-top: 1px solid #e6e8eb; }
  .sk-button { display: inline-block; border: 1px solid #c9c9c9; border-radius: 4px; padding: 4px 12px; margin-right: 6px; color: #1d1c1d; text-decoration: none; font-weight: 600; }
  .sk-thread { color: #1264a3; font-size: 12px; margin-top: 8px; }
  .meta { color: #59636e; font-size: 12px; margin: 4px 0 8px; }
  details { margin: 8px 0; }
  summary { cursor: pointer; color: #0969da; }
  pre { background: #f8f8f8; border: 1px solid #e6e8eb; padding: 8px; overflow: auto; max-height: 480px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  code { background: #f2f2f2; padding: 0 3px; }
  figure { margin: 0 0 16px; } figure img { width: 100%; max-width: 720px; border: 1px solid #e6e8eb; }
  figcaption { color: #59636e; font-size: 12px; }
  .warn { color: #b35900; }
  h3.kind { font-size: 16px; border-top: 1px solid #e6e8eb; padding-top: 12px; margin-top: 16px; }
  .pair { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(360px, 640px); gap: 24px; align-items: start; }
  @media (max-width: 1000px) { .pair { grid-template-columns: 1fr; } }
`;

/**
 * Sizes every email frame to its document once it has loaded (images included) and again when
 * the window's width changes the email's layout. srcdoc frames share the page's origin, so this
 * works from file:// too, where a frame with src= would be another origin.
 */
export const FIT_FRAMES_SCRIPT = `<script>
(() => {
  const frames = [...document.querySelectorAll('iframe.email')];
  const fit = (f) => {
    const doc = f.contentDocument;
    if (!doc || !doc.documentElement) return;
    f.style.height = '0px';
    f.style.height = doc.documentElement.scrollHeight + 'px';
  };
  for (const f of frames) {
    f.addEventListener('load', () => fit(f));
    if (f.contentDocument && f.contentDocument.readyState === 'complete') fit(f);
  }
  let queued = 0;
  addEventListener('resize', () => {
    cancelAnimationFrame(queued);
    queued = requestAnimationFrame(() => frames.forEach(fit));
  });
})();
</script>`;

/** Swaps `cid:` references for files a browser can load (paths relative to the page). */
export function browserEmailHtml(html: string, pathOfCid: (cid: string) => string | null): string {
  return html.replace(/cid:([A-Za-z0-9._-]+@pulsebot)/g, (whole, cid: string) => pathOfCid(cid) ?? whole);
}

/**
 * The email inline in the page: the HTML goes in srcdoc, so links and images resolve against the
 * page. The sandbox keeps any script in the email from running; same-origin lets the page read
 * its height.
 */
export function emailFrame(html: string, title: string): string {
  return `<iframe class="email" title="${esc(title)}" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" srcdoc="${esc(html)}"></iframe>`;
}

/** Block Kit JSON as the Block Kit Builder takes it, folded away under the rendering. */
export function blockKitDetails(blocks: unknown[], file: string | null): string {
  const whole = file ? ` The whole payload is in <a href="${esc(file)}">${esc(file)}</a>.` : '';
  return `<details><summary>Block Kit JSON</summary>
        <p class="meta">Paste into <a href="https://app.slack.com/block-kit-builder">Slack's Block Kit Builder</a> to see Slack's own rendering.${whole}</p>
        <pre>${esc(JSON.stringify({ blocks }, null, 2))}</pre></details>`;
}

/** A Slack message drawn roughly, with a line under it (the thread's files, an edit) when given. */
export function slackMessageHtml(blocks: unknown[], below = ''): string {
  return `<div class="sk">${blocksToHtml(blocks)}${below ? `\n        <div class="sk-thread">${below}</div>` : ''}</div>`;
}
