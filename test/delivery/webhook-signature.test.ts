import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureOf } from '../../src/delivery/webhook-transport.js';

/**
 * The verification example of docs/alert-routes.md, run as written against pulsebot's own
 * signatures: a receiver that copies it accepts what pulsebot sends and nothing else.
 */

type Verify = (raw: Buffer, header: string | undefined, secret: string, maxAgeMs?: number) => unknown;

const DOC = new URL('../../docs/alert-routes.md', import.meta.url);
const SECRET = 'receiver-and-pulsebot-share-this';

let dir: string;
let verify: Verify;

beforeAll(async () => {
  const text = readFileSync(DOC, 'utf8');
  const block = /### Signature[\s\S]*?```js\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error('docs/alert-routes.md has no ```js block under "### Signature"');
  expect(block.trim().split('\n')).toHaveLength(10);
  dir = mkdtempSync(join(tmpdir(), 'pulsebot-verify-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block);
  verify = ((await import(pathToFileURL(file).href)) as { verifyPulsebot: Verify }).verifyPulsebot;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the documented signature check', () => {
  const body = (sentAt: Date) =>
    Buffer.from(JSON.stringify({ version: 1, id: 'alert:x:firing', sent_at: sentAt.toISOString() }));

  it('accepts a body pulsebot signed, just sent', () => {
    const raw = body(new Date());
    expect(verify(raw, signatureOf(raw.toString('utf8'), SECRET), SECRET)).toMatchObject({ id: 'alert:x:firing' });
  });

  it('refuses another secret, a changed byte, no header, and a body sent 10 minutes ago', () => {
    const raw = body(new Date());
    const good = signatureOf(raw.toString('utf8'), SECRET);
    expect(verify(raw, signatureOf(raw.toString('utf8'), 'another-secret'), SECRET)).toBeNull();
    expect(verify(Buffer.from(raw.toString('utf8').replace('firing', 'firinG')), good, SECRET)).toBeNull();
    expect(verify(raw, undefined, SECRET)).toBeNull();
    const old = body(new Date(Date.now() - 10 * 60_000));
    expect(verify(old, signatureOf(old.toString('utf8'), SECRET), SECRET)).toBeNull();
  });

  it('the header is sha256= and the hex HMAC-SHA256 of the body (RFC 4231 test case 2)', () => {
    expect(signatureOf('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
