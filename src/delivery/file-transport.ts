import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composeEml } from './mime.js';
import { DeliveryError, type DeliveryReceipt, type EmailPayload, type SlackPayload, type Transport } from './types.js';

/**
 * The transport for running without credentials, and for previews: each message becomes a
 * directory under `dir` named after its outbox key, holding what would have been sent. A
 * directory appears complete or not at all (built under a temporary name, then renamed), and
 * sending the same key again replaces it with the same files.
 */
export interface FileTransports {
  slack: Transport<SlackPayload>;
  email: Transport<EmailPayload>;
}

const RESERVED = new Set(['slack.json', 'message.eml', 'message.html']);

export function createFileTransport(dir: string, opts: { now?: () => Date } = {}): FileTransports {
  const now = opts.now ?? (() => new Date());
  return {
    slack: {
      name: 'file',
      async send(payload, ctx) {
        const names = fileNames(payload.files.map((f) => f.filename));
        const json = {
          channel: payload.channel,
          text: payload.text,
          blocks: payload.blocks,
          files: payload.files.map((f, i) => ({
            filename: f.filename,
            title: f.title,
            altText: f.altText,
            path: names[i],
          })),
          ...(payload.threadOfKey ? { threadOfKey: payload.threadOfKey } : {}),
          ...(payload.updateOfKey ? { updateOfKey: payload.updateOfKey } : {}),
        };
        const files: Array<[string, string | Buffer]> = [['slack.json', `${JSON.stringify(json, null, 2)}\n`]];
        for (const [i, f] of payload.files.entries()) files.push([names[i]!, f.content]);
        return writeMessageDir(dir, ctx.key, files);
      },
      close: async () => {},
    },
    email: {
      name: 'file',
      async send(payload, ctx) {
        const target = join(dir, safeDirName(ctx.key));
        // The Date header of an earlier write is kept, so writing the same key again gives the same bytes.
        const date = (await previousDate(join(target, 'message.eml'))) ?? now();
        const eml = await composeEml(payload, { date, baseBoundary: hashOf(ctx.key).slice(0, 16) });
        const names = fileNames(payload.attachments.map((a) => a.filename));
        const byCid = new Map<string, string>();
        payload.attachments.forEach((a, i) => {
          if (a.cid) byCid.set(a.cid, names[i]!);
        });
        // The preview opens in a browser: point cid: references at the files beside it.
        const html = payload.html.replace(/cid:([^"'\s)>]+)/g, (whole, cid: string) => {
          const file = byCid.get(cid);
          return file ? encodeURIComponent(file) : whole;
        });
        const files: Array<[string, string | Buffer]> = [
          ['message.eml', eml],
          ['message.html', html],
        ];
        for (const [i, a] of payload.attachments.entries()) files.push([names[i]!, a.content]);
        return writeMessageDir(dir, ctx.key, files);
      },
      close: async () => {},
    },
  };
}

/**
 * A directory name for a key: readable (the key's safe characters), unique (a hash of the whole
 * key, since different keys can sanitise alike), and one path component: no slashes, no "..",
 * no control characters, not hidden.
 */
export function safeDirName(key: string): string {
  return `${sanitize(key, 100) || 'message'}-${hashOf(key).slice(0, 10)}`;
}

function sanitize(text: string, max: number): string {
  return text
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._@+=#,-]+/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[._#-]+/, '')
    .slice(0, max);
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Safe, unique file names for attachments, never one of the message's own files. */
function fileNames(requested: string[]): string[] {
  const used = new Set(RESERVED);
  return requested.map((name, i) => {
    let safe = sanitize(name, 100) || `file-${i + 1}`;
    if (used.has(safe)) safe = `${i + 1}-${safe}`;
    used.add(safe);
    return safe;
  });
}

async function previousDate(emlPath: string): Promise<Date | null> {
  try {
    const head = (await readFile(emlPath, 'utf8')).split(/\r?\n\r?\n/, 1)[0] ?? '';
    const match = /^Date: (.+)$/im.exec(head);
    const date = match ? new Date(match[1]!.trim()) : null;
    return date && !Number.isNaN(date.getTime()) ? date : null;
  } catch {
    // No earlier copy of the message (its first send) or an unreadable one: it gets a new date.
    return null;
  }
}

const RENAME_CONFLICT = new Set(['ENOTEMPTY', 'EEXIST']);

async function writeMessageDir(
  dir: string,
  key: string,
  files: Array<[string, string | Buffer]>,
): Promise<DeliveryReceipt> {
  const name = safeDirName(key);
  const target = join(dir, name);
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp, { recursive: true });
    for (const [file, content] of files) await writeFile(join(tmp, file), content);
    await swapInto(tmp, target, dir);
  } catch (cause) {
    // Best-effort cleanup of a hidden temporary directory; the write failure is thrown below.
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    const code = (cause as { code?: string }).code;
    // A full or read-only disk will not heal by itself within the retry window, but may be fixed by someone.
    throw new DeliveryError(`cannot write ${target}: ${(cause as Error).message}`, {
      retryable: true,
      cause,
      hint: code === 'EACCES' ? 'check PULSEBOT_OUTBOX_DIR permissions' : undefined,
    });
  }
  return { externalId: target, detail: { files: files.map(([f]) => f) } };
}

/**
 * rename() of a directory is atomic but refuses a non-empty target: an existing directory is
 * moved aside first, then replaced, and removed once the new one is in place. Another writer of
 * the same key can interleave; each round starts from whatever it left.
 */
async function swapInto(tmp: string, target: string, dir: string): Promise<void> {
  const asides: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, target);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (!code || !RENAME_CONFLICT.has(code) || attempt >= 5) throw error;
      }
      const aside = join(dir, `.old-${randomBytes(6).toString('hex')}`);
      try {
        await rename(target, aside);
        asides.push(aside);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') throw error;
      }
    }
  } finally {
    for (const aside of asides) await rm(aside, { recursive: true, force: true });
  }
}
