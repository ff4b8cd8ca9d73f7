import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeEml } from '../delivery/mime.js';
import type { OutgoingMessage, SlackPayload } from '../delivery/types.js';
import type { ComposedDigest } from './compose-digest.js';
import type { DigestModel } from './digest-model.js';
import { previewPage } from './preview-page.js';
import { browserEmailHtml } from './preview-page-parts.js';

/**
 * `pulsebot digest --out DIR` and `pulsebot demo`: everything the digest would send, as files —
 * index.html (email, Slack and charts side by side), email.html (with the charts as files so a
 * browser shows them), email.eml (the real MIME message), email.txt, slack-<channel>.json,
 * charts/<id>.png and snapshot.json. Nothing is sent and nothing enters the outbox.
 */
export interface PreviewResult {
  dir: string;
  index: string;
  files: string[];
}

/** Written to a temporary name, then renamed: a reader never sees half a file. */
export function writeAtomic(path: string, content: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'x';

export async function writePreview(
  dir: string,
  model: DigestModel,
  composed: ComposedDigest,
  opts: { extraSection?: string } = {},
): Promise<PreviewResult> {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const files: string[] = [];
  const put = (name: string, content: string | Buffer) => {
    writeAtomic(join(dir, name), content);
    files.push(name);
  };
  for (const c of model.charts) put(`charts/${safeName(c.id)}.png`, c.png);
  const snapshotJson = JSON.stringify(
    model.snapshot,
    (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v),
    2,
  );
  put('snapshot.json', snapshotJson);

  const firstEmail = composed.messages.find(
    (m): m is Extract<OutgoingMessage, { channel: 'email' }> => m.channel === 'email',
  );
  let browserHtml: string | null = null;
  if (composed.email && firstEmail) {
    browserHtml = browserEmailHtml(
      composed.email.html,
      (cid) => `charts/${safeName(cid.replace(/@pulsebot$/, ''))}.png`,
    );
    put('email.html', browserHtml);
    put('email.txt', composed.email.text);
    put('email.eml', await composeEml(firstEmail.payload, { date: new Date() }));
  }
  const slackJson = (p: SlackPayload, suffix: string) => {
    const name = `slack-${safeName(p.channel.replace(/^#/, ''))}${suffix}.json`;
    put(
      name,
      JSON.stringify(
        {
          channel: p.channel,
          text: p.text,
          blocks: p.blocks,
          files: p.files.map((f) => ({ filename: f.filename, title: f.title, alt: f.altText })),
          ...(p.threadOfKey ? { threadOfKey: p.threadOfKey } : {}),
        },
        null,
        2,
      ),
    );
    return name;
  };
  const slack = composed.slack.map((p: SlackPayload) => {
    const details = composed.slackDetails.find((d) => d.channel === p.channel);
    return {
      channel: p.channel,
      blocks: p.blocks,
      text: p.text,
      json: slackJson(p, ''),
      thread: details ? { blocks: details.blocks, json: slackJson(details, '-thread') } : null,
    };
  });
  const index = previewPage(model, {
    title: composed.title,
    email:
      composed.email && browserHtml !== null
        ? { file: 'email.html', html: browserHtml, subject: composed.email.subject, textFile: 'email.txt' }
        : null,
    slack,
    charts: model.charts.map((c) => ({ file: `charts/${safeName(c.id)}.png`, title: c.title, alt: c.alt })),
    snapshotJson: 'snapshot.json',
    ...(opts.extraSection ? { extraSection: opts.extraSection } : {}),
  });
  put('index.html', index);
  return { dir, index: join(dir, 'index.html'), files };
}
