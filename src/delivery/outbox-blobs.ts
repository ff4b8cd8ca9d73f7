import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from '../db/connect.js';

/**
 * Buffers inside a payload (chart PNGs, attachments) are stored once in pulsebot.outbox_blobs
 * and replaced in the JSON by a reference. A digest's 20 emails and its Slack message carry the
 * same charts: content addressing stores each chart once.
 */
export interface BlobRef {
  $blob: string;
}

function isBlobRef(value: unknown): value is BlobRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$blob' && typeof (value as BlobRef).$blob === 'string';
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The payload as JSON with every Buffer replaced by a reference, and the bytes it referred to. */
export function dehydrate(payload: unknown): { json: unknown; blobs: Map<string, Buffer> } {
  const blobs = new Map<string, Buffer>();
  const walk = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) {
      const sha = sha256Hex(value);
      blobs.set(sha, value);
      return { $blob: sha } satisfies BlobRef;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      if (value instanceof Date) return value.toISOString();
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, walk(v)]),
      );
    }
    return value;
  };
  return { json: walk(payload), blobs };
}

/** Every blob hash a stored payload refers to. */
export function blobRefsOf(json: unknown, into: Set<string> = new Set()): Set<string> {
  if (isBlobRef(json)) into.add(json.$blob);
  else if (Array.isArray(json)) for (const v of json) blobRefsOf(v, into);
  else if (typeof json === 'object' && json !== null) for (const v of Object.values(json)) blobRefsOf(v, into);
  return into;
}

/** The stored payload with its references replaced by the bytes again. */
export function hydrate(json: unknown, blobs: ReadonlyMap<string, Buffer>): unknown {
  if (isBlobRef(json)) {
    const bytes = blobs.get(json.$blob);
    // The foreign key from outbox_blob_refs makes this impossible short of manual deletion.
    if (!bytes) throw new Error(`outbox blob ${json.$blob} is missing`);
    return bytes;
  }
  if (Array.isArray(json)) return json.map((v) => hydrate(v, blobs));
  if (typeof json === 'object' && json !== null) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, hydrate(v, blobs)]));
  }
  return json;
}

/**
 * Stores blobs that are not stored yet, sending the bytes only for those. Existing ones are
 * touched (created_at moved forward, which also locks them) so a concurrent prune cannot delete
 * one between this and the insert of the rows that refer to it.
 */
export async function storeBlobs(tx: TransactionSql, blobs: ReadonlyMap<string, Buffer>, now: Date): Promise<void> {
  if (blobs.size === 0) return;
  const shas = [...blobs.keys()].sort();
  const touched = await tx<{ sha256: string }[]>`
    update pulsebot.outbox_blobs set created_at = greatest(created_at, ${now})
    where sha256 = any(${shas}::text[])
    returning sha256`;
  const present = new Set(touched.map((r) => r.sha256));
  for (const sha of shas) {
    if (present.has(sha)) continue;
    await tx`
      insert into pulsebot.outbox_blobs (sha256, bytes, created_at) values (${sha}, ${blobs.get(sha)!}, ${now})
      on conflict (sha256) do update set created_at = greatest(pulsebot.outbox_blobs.created_at, excluded.created_at)`;
  }
}

export async function loadBlobs(sql: Sql | TransactionSql, shas: Iterable<string>): Promise<Map<string, Buffer>> {
  const list = [...new Set(shas)];
  if (list.length === 0) return new Map();
  const rows = await sql<{ sha256: string; bytes: Buffer }[]>`
    select sha256, bytes from pulsebot.outbox_blobs where sha256 = any(${list}::text[])`;
  return new Map(rows.map((r) => [r.sha256, r.bytes]));
}
