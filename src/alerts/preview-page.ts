import type { SlackPayload } from '../delivery/types.js';
import { escapeHtml as esc } from '../messages/markup.js';
import {
  blockKitDetails,
  browserEmailHtml,
  emailFrame,
  FIT_FRAMES_SCRIPT,
  PREVIEW_CSS,
  slackMessageHtml,
} from '../report/preview-page-parts.js';
import type { AlertPreview, AlertPreviewMessage } from './preview.js';

/**
 * index.html of `pulsebot alerts --preview`: per rule, the firing and the resolved message as
 * Slack and email show them, with the files they were written to. Pure: paths are relative to
 * the page, or to `base` when another page (the demo's digest preview) embeds a message.
 */

export interface WrittenAlertMessage {
  message: AlertPreviewMessage;
  slackFile: string;
  emailFile: string;
  textFile: string;
  sparklineFile: string | null;
}

export interface WrittenAlertPreview {
  preview: AlertPreview;
  firing: WrittenAlertMessage;
  resolved: WrittenAlertMessage;
}

const KIND_TITLE = { firing: 'Firing', resolved: 'Resolved' } as const;

function threadNote(slack: SlackPayload): string {
  const files = slack.files.length ? `Thread: ${slack.files.map((f) => esc(f.filename)).join(', ')} uploaded` : '';
  const reply = slack.threadOfKey ? 'Posted as a reply in the firing message’s thread' : '';
  return [reply, files].filter(Boolean).join(' · ');
}

/** One message: Slack (and, for a resolve, the edit of the firing message) beside the email. */
function alertMessageHtml(w: WrittenAlertMessage, base = ''): string {
  const m = w.message;
  const at = (file: string) => esc(`${base}${file}`);
  const html = browserEmailHtml(m.email.html, () => (w.sparklineFile ? `${base}${w.sparklineFile}` : null));
  const edit = m.slack.updateOfKey
    ? `<h3>…and the firing message is edited into</h3>
      ${slackMessageHtml(m.slack.updateOfKey.blocks)}`
    : '';
  return `<div class="pair">
    <div>
      <h3>Slack · ${esc(m.slack.channel)}</h3>
      ${slackMessageHtml(m.slack.blocks, threadNote(m.slack))}
      ${edit}
      ${blockKitDetails(m.slack.blocks, `${base}${w.slackFile}`)}
    </div>
    <div>
      <h3>Email · ${esc(m.email.subject)}</h3>
      <p class="meta">to ${esc(m.email.to)} · <a href="${at(w.emailFile)}">the email alone</a> · <a href="${at(w.textFile)}">plain-text part</a></p>
      ${emailFrame(html, `${KIND_TITLE[m.kind]} email`)}
    </div>
  </div>`;
}

/** "Firing · synthetic breach, labelled so in the message", "Resolved · on the current data". */
function kindHeading(m: AlertPreviewMessage): string {
  const made = m.kind === 'firing' ? 'a synthetic breach' : 'a synthetic recovery';
  return `${KIND_TITLE[m.kind]} <span class="meta">· ${m.value === 'synthetic' ? `${made}, labelled so in the message` : 'the current data'}</span>`;
}

/**
 * The demo's digest page shows one alert's firing message (files under `base`), pointing at the
 * alerts' own page for the resolve.
 */
export function exampleAlertSection(w: WrittenAlertPreview, base: string): string {
  const p = w.preview;
  return `<h2>An alert, as on-call gets it: ${esc(p.rule.name)}</h2>
    <p class="meta">${esc(p.rule.severity)} · ${esc(p.basis)} · <a href="${esc(`${base}index.html`)}">its resolve, and the files</a> · every rule: <code>pulsebot alerts --preview --out DIR</code></p>
    <h3 class="kind">${kindHeading(w.firing.message)}</h3>
    ${alertMessageHtml(w.firing, base)}`;
}

function ruleSection(w: WrittenAlertPreview): string {
  const p = w.preview;
  const routes = [...p.rule.routes.slack.map((c) => `Slack ${c}`), ...p.rule.routes.email.map((e) => `email ${e}`)];
  const notes = p.notes.length ? `<p class="warn">${p.notes.map(esc).join('<br>')}</p>` : '';
  return `<section id="${esc(p.rule.name)}">
    <h2>${esc(p.rule.name)}</h2>
    <p class="meta">${esc(p.rule.severity)} · ${esc(p.basis)} · routes: ${esc(routes.join(', ') || 'none')}</p>
    ${notes}
    ${(['firing', 'resolved'] as const)
      .map((k) => `<h3 class="kind">${kindHeading(w[k].message)}</h3>\n${alertMessageHtml(w[k])}`)
      .join('\n')}
  </section>`;
}

export function alertPreviewPage(written: WrittenAlertPreview[], info: { now: Date; timeZone: string }): string {
  const toc = written.map((w) => `<a href="#${esc(w.preview.rule.name)}">${esc(w.preview.rule.name)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alert previews · pulsebot</title>
<style>${PREVIEW_CSS}
  main { display: grid; gap: 24px; padding: 24px; max-width: 1400px; }
</style></head>
<body>
<header><strong>Alert previews</strong> · ${written.length} rule${written.length === 1 ? '' : 's'} · ${esc(info.now.toISOString().slice(0, 16))}Z (times in the messages: ${esc(info.timeZone)})
  <p>What each rule sends when it fires and when it resolves, built by the code that sends alerts; nothing was stored or sent. ${toc}</p></header>
<main>
${written.map(ruleSection).join('\n')}
</main>
${FIT_FRAMES_SCRIPT}
</body></html>
`;
}
