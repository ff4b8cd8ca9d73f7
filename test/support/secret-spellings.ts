/**
 * The ways a password can show up in text, computed here without pulsebot's code, for tests that
 * assert none of them leaks.
 */

/**
 * The base64 characters decided by `secret`'s bytes alone when it starts `offset` bytes into an
 * encoded buffer: the secret is encoded between neighbours of all-zero bits and of all-one bits,
 * and the characters that come out the same both times are kept.
 */
export function base64Inside(secret: string, offset: number): string {
  const bytes = Buffer.from(secret, 'utf8');
  // At least two bytes after it, and a whole number of 3-byte groups (no '=' padding, the same both times).
  const after = 2 + ((3 - ((offset + bytes.length + 2) % 3)) % 3);
  const encode = (fill: number) =>
    Buffer.concat([Buffer.alloc(offset, fill), bytes, Buffer.alloc(after, fill)]).toString('base64');
  const zeros = encode(0x00);
  const ones = encode(0xff);
  const same = [...zeros].map((c, i) => c === ones[i]);
  const first = same.indexOf(true);
  const last = same.lastIndexOf(true);
  if (first < 0 || same.slice(first, last + 1).includes(false)) throw new Error('expected one unchanged run');
  return zeros.slice(first, last + 1);
}

/** The password raw, %-encoded, base64 alone and inside SASL blobs, and in each of the three byte alignments. */
function passwordSpellings(user: string, pass: string): string[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [
    pass,
    encodeURIComponent(pass),
    b64(pass),
    b64(`\0${user}\0${pass}`),
    b64(`${user}:${pass}`),
    base64Inside(pass, 0),
    base64Inside(pass, 1),
    base64Inside(pass, 2),
  ];
}

/** The spellings of `passwordSpellings` found in `text`. */
export function leakedSpellings(text: string, user: string, pass: string): string[] {
  return passwordSpellings(user, pass).filter((s) => text.includes(s));
}
