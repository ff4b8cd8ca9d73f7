import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserEmailHtml } from '../report/preview-page-parts.js';
import { safeName, writeAtomic } from '../report/write-preview.js';
import { alertPreviewPage, type WrittenAlertMessage, type WrittenAlertPreview } from './preview-page.js';
import type { AlertPreview, AlertPreviewMessage } from './preview.js';

/**
 * The files of `pulsebot alerts --preview --out DIR`: per rule and message (firing, resolved)
 * `<rule>-<kind>.slack.json` (the Slack payload, files listed by name), `<rule>-<kind>.email.html`
 * (its inline images as files a browser loads), `<rule>-<kind>.email.txt` (the text part), the
 * sparkline PNG, and index.html showing them all.
 */

export interface AlertPreviewResult {
  dir: string;
  index: string;
  files: string[];
  written: WrittenAlertPreview[];
}

export function writeAlertPreview(
  dir: string,
  previews: readonly AlertPreview[],
  info: { now: Date; timeZone: string },
): AlertPreviewResult {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, content: string | Buffer) => {
    writeAtomic(join(dir, name), content);
    files.push(name);
  };

  const writeMessage = (rule: string, m: AlertPreviewMessage): WrittenAlertMessage => {
    const stem = `${safeName(rule)}-${m.kind}`;
    const { slack, email } = m;
    const payload = {
      ...slack,
      files: slack.files.map((f) => ({ filename: f.filename, title: f.title, alt: f.altText })),
    };
    put(`${stem}.slack.json`, `${JSON.stringify(payload, null, 2)}\n`);
    const image = email.attachments.find((a) => a.contentType === 'image/png');
    let sparklineFile: string | null = null;
    if (image) {
      sparklineFile = `${stem}.sparkline.png`;
      put(sparklineFile, image.content);
    }
    put(
      `${stem}.email.html`,
      browserEmailHtml(email.html, () => sparklineFile),
    );
    put(`${stem}.email.txt`, email.text);
    return {
      message: m,
      slackFile: `${stem}.slack.json`,
      emailFile: `${stem}.email.html`,
      textFile: `${stem}.email.txt`,
      sparklineFile,
    };
  };

  const written = previews.map(
    (p): WrittenAlertPreview => ({
      preview: p,
      firing: writeMessage(p.rule.name, p.firing),
      resolved: writeMessage(p.rule.name, p.resolved),
    }),
  );
  put('index.html', alertPreviewPage(written, info));
  return { dir, index: join(dir, 'index.html'), files, written };
}
