import { describe, expect, it } from 'vitest';
import { REDACTED, redact, rememberCredential, urlCredential } from '../src/redact.js';
import { base64Inside, leakedSpellings } from './support/secret-spellings.js';

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
/** Bytes that are not all zero, so an edge character is not the same for every buffer. */
const filler = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 97) % 256));

describe('redact: every spelling of a credential', () => {
  const passwords = ['P4ssw0rd-SECRET', 'ünï-cødé pässwörd ✓', 'abcd', 'p@ss:w/rd%+='];

  it.each(passwords)(
    'base64 of %j inside any buffer, at every byte offset, loses every character the password decides',
    (pass) => {
      for (let before = 0; before <= 5; before++) {
        for (let after = 0; after <= 3; after++) {
          const encoded = b64(Buffer.concat([filler(before, 1), Buffer.from(pass), filler(after, 2)]));
          const core = base64Inside(pass, before);
          const start = encoded.indexOf(core);
          expect(start).toBeGreaterThanOrEqual(0);
          const out = redact(`reply: ${encoded} end`, [{ secret: pass }]);
          expect(out, `${before} bytes before, ${after} after`).not.toContain(core);
          // Only edge characters may stay, the ones the neighbouring bytes share.
          const m = /^reply: ([A-Za-z0-9+/=]*)\[redacted\]([A-Za-z0-9+/=]*) end$/.exec(out);
          expect(m, out).not.toBeNull();
          expect(m![1]!.length).toBeLessThanOrEqual(start);
          expect(m![2]!.length).toBeLessThanOrEqual(encoded.length - start - core.length);
        }
      }
    },
  );

  it.each(['a', 'ab', 'abc', 'abcd'])(
    'the AUTH PLAIN blob and user:pass of user %j, even without the AUTH word',
    (user) => {
      const pass = 'P4ssw0rd-SECRET';
      const text = [
        `535 5.7.8 rejected ${b64(`\0${user}\0${pass}`)} for you`,
        `basic ${b64(`${user}:${pass}`)}`,
        `raw ${pass}, %-encoded ${encodeURIComponent(pass)}, alone ${b64(pass)}`,
      ].join('\n');
      const out = redact(text, [{ user, secret: pass }]);
      expect(leakedSpellings(out, user, pass)).toEqual([]);
      expect(out).toContain('535 5.7.8 rejected [redacted] for you');
    },
  );

  it('credentials remembered once are taken out of any later text', () => {
    rememberCredential({ user: 'remembered', secret: 'Remembered-Pw-42' });
    const out = redact(`x Remembered-Pw-42 y ${b64('\0remembered\0Remembered-Pw-42')} z ${b64('xRemembered-Pw-42')}`);
    expect(leakedSpellings(out, 'remembered', 'Remembered-Pw-42')).toEqual([]);
    expect(out.startsWith('x [redacted] y [redacted] z ')).toBe(true);
  });

  it('reads the user and password out of a URL, decoded, with the password as written', () => {
    expect(urlCredential('smtp://ab:p%40ss%3Aw0rd@mail.example.com:587')).toEqual({
      user: 'ab',
      secret: 'p@ss:w0rd',
      asWritten: ['p%40ss%3Aw0rd'],
    });
    expect(urlCredential('smtp://mail.example.com')).toBeNull();
    expect(urlCredential('not a url')).toBeNull();
    expect(urlCredential(undefined)).toBeNull();
  });

  it('a password shorter than 3 characters is not looked for (it would cut up ordinary words)', () => {
    expect(redact('a b ab', [{ secret: 'ab' }])).toBe('a b ab');
  });
});

describe('redact: AUTH exchanges, credentials unknown', () => {
  const blob = b64('\0ab\0P4ssw0rd-SECRET');

  it('takes the data of any AUTH command, whatever the mechanism or case', () => {
    expect(redact(`Invalid login: 535 5.7.8 Authentication failed: AUTH PLAIN ${blob}`)).toBe(
      `Invalid login: 535 5.7.8 Authentication failed: AUTH PLAIN ${REDACTED}`,
    );
    expect(redact(`echo "auth plain ${blob}" (535)`)).toBe(`echo "auth plain ${REDACTED}" (535)`);
    expect(redact(`AUTH XOAUTH2 ${b64('user=a\x01auth=Bearer tok\x01\x01')}`)).toBe(`AUTH XOAUTH2 ${REDACTED}`);
    expect(redact('AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM')).toBe(
      `AUTH SCRAM-SHA-256 ${REDACTED}`,
    );
    expect(redact(`AUTH FUTURE-MECH ${blob}`)).toBe(`AUTH FUTURE-MECH ${REDACTED}`);
  });

  it("takes the client's base64 lines of an AUTH LOGIN exchange and keeps the server's prompts", () => {
    const exchange = [
      'AUTH LOGIN',
      '334 VXNlcm5hbWU6',
      b64('ab'),
      '334 UGFzc3dvcmQ6',
      b64('P4ssw0rd-SECRET'),
      '535 5.7.8 Authentication failed',
    ].join('\r\n');
    expect(redact(exchange)).toBe(
      [
        'AUTH LOGIN',
        '334 VXNlcm5hbWU6',
        REDACTED,
        '334 UGFzc3dvcmQ6',
        REDACTED,
        '535 5.7.8 Authentication failed',
      ].join('\r\n'),
    );
    // The same exchange quoted in a multi-line reply.
    const quoted = [
      '535-5.7.8 you sent: AUTH LOGIN',
      `535-5.7.8 ${b64('ab')}`,
      `535 5.7.8 ${b64('P4ssw0rd-SECRET')}`,
    ].join('\n');
    expect(redact(quoted)).toBe(
      ['535-5.7.8 you sent: AUTH LOGIN', `535-5.7.8 ${REDACTED}`, `535 5.7.8 ${REDACTED}`].join('\n'),
    );
  });

  it('leaves prose about authentication alone', () => {
    for (const text of [
      'SMTP AUTH is not supported by the server',
      'Authentication failed',
      'auth: expected a token\nnext line',
      'the server offers AUTH PLAIN LOGIN',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });
});
