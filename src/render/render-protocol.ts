import type { TopLevelSpec } from 'vega-lite';
import type { RenderedChart } from '../charts/render.js';
import { PulsebotError, type ErrorCode } from '../errors.js';

/**
 * What the daemon and its render process say to each other over the IPC channel (node's
 * "advanced" serialization: structured clone, so Buffers and nested specs pass as they are).
 */

export type RenderJob =
  | { kind: 'chart'; spec: TopLevelSpec; scale?: number }
  | { kind: 'mjml'; source: string; filePath: string; slots: Record<string, string> };

export type RenderRequest = RenderJob & { id: number };

export type RenderReplyBody =
  | { id: number; ok: true; chart?: RenderedChart; html?: string }
  | { id: number; ok: false; error: RemoteError };

/** `rss`: the render process's resident memory when it replied (for /metrics). */
export type RenderReply = RenderReplyBody & { rss: number };

export interface RemoteError {
  name: string;
  message: string;
  code?: string;
  hint?: string;
  stack?: string;
}

export function toRemoteError(error: unknown): RemoteError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & { code?: unknown; hint?: unknown };
  return {
    name: e.name,
    message: e.message,
    code: typeof e.code === 'string' ? e.code : undefined,
    hint: typeof e.hint === 'string' ? e.hint : undefined,
    stack: e.stack,
  };
}

/**
 * The error as callers in the daemon would have seen it in-process: a PulsebotError keeps its code
 * and hint; anything else (a vega error, a refused URL) keeps its name and message. The render
 * process's stack goes along as the cause, for DEBUG=1.
 */
export function fromRemoteError(remote: RemoteError): Error {
  const cause = Object.assign(new Error(remote.message), { name: remote.name, stack: remote.stack });
  if (remote.name === 'PulsebotError' && remote.code) {
    return new PulsebotError(remote.code as ErrorCode, remote.message, { cause, hint: remote.hint });
  }
  const error = new Error(remote.message, { cause });
  error.name = remote.name;
  return error;
}

/** Structured clone hands a Buffer over as a plain Uint8Array. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
