/**
 * Secrets out of every text that leaves the process: log lines, errors stored in the outbox,
 * failure notices, doctor's and the CLI's output. Two layers:
 * - patterns that need no knowledge of the secret: an SMTP AUTH exchange, a URL's password,
 *   Slack and bearer tokens, `password=…` pairs;
 * - every spelling of the credentials this process was given (raw, %-encoded, base64 in each of
 *   the three byte alignments, and the SASL blobs that carry them), remembered when they are read.
 * A server may echo what it was sent anywhere in its reply, so both layers apply to all text.
 */

export interface Credential {
  /** The user name that goes with the secret (SASL blobs carry both); not itself redacted. */
  user?: string;
  secret: string;
  /** Other spellings seen in the input, e.g. the password as written (still %-encoded) in a URL. */
  asWritten?: readonly string[];
}

export const REDACTED = '[redacted]';

/** Shorter spellings would match ordinary text; a secret this short protects nothing anyway. */
const MIN_FORM_CHARS = 3;

/**
 * The base64 characters that depend on `secret`'s bytes alone, for each offset (0, 1 or 2 bytes
 * mod 3) at which the secret can start inside a longer encoded buffer. The characters at either
 * edge mix in the neighbouring bytes, so they differ from one buffer to the next and are left out.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores: string[] = [];
  for (const offset of [0, 1, 2]) {
    const buffer = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = buffer.toString('base64');
    // A base64 character holds 6 bits: the first ones carry the leading bytes' 8 * offset bits,
    // the last whole one ends where the secret's last byte ends.
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * buffer.length) / 6);
    cores.push(encoded.slice(start, end));
  }
  return cores;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Every spelling of a credential that could appear in a message, longest first. */
function credentialForms(credential: Credential): string[] {
  const { secret, user } = credential;
  if (secret.length < MIN_FORM_CHARS) return [];
  const whole = [secret, ...(credential.asWritten ?? [])];
  const blobs = [base64(secret), base64url(secret)];
  if (user) {
    // AUTH PLAIN's "\0user\0pass" (and without the leading authzid), HTTP Basic's "user:pass".
    for (const blob of [`\0${user}\0${secret}`, `${user}\0${secret}`, `${user}:${secret}`]) {
      blobs.push(base64(blob), base64url(blob));
    }
  }
  const cores = [...base64Cores(secret), ...base64Cores(secret).map((c) => c.replace(/\+/g, '-').replace(/\//g, '_'))];
  const all = [...whole, encodeURIComponent(secret), ...blobs, ...cores];
  return [...new Set(all.filter((f) => f.length >= MIN_FORM_CHARS))].sort((a, b) => b.length - a.length);
}

/** The SASL mechanisms SMTP servers offer; a line naming one starts an AUTH exchange. */
const MECHANISMS =
  'PLAIN|LOGIN|CRAM-MD5|DIGEST-MD5|XOAUTH2|XOAUTH|OAUTHBEARER|NTLM|GSSAPI|EXTERNAL|ANONYMOUS|SCRAM-SHA-\\d+(?:-PLUS)?';
/** The initial response: one base64 token, not the next mechanism of a list ("AUTH PLAIN LOGIN" in EHLO). */
const RESPONSE = `(?!(?:${MECHANISMS})\\b)([A-Za-z0-9+/=_-]+)`;
/** "AUTH <mechanism> <initial response>". */
const AUTH_KNOWN = new RegExp(`\\b(AUTH[ \\t]+(?:${MECHANISMS}))\\b([ \\t]+)${RESPONSE}`, 'gi');
/** An unknown mechanism: only in capitals, as clients send it, so prose ("auth is off") is left alone. */
const AUTH_OTHER = new RegExp(`\\b(AUTH[ \\t]+[A-Z][A-Z0-9_-]{2,})([ \\t]+)${RESPONSE}`, 'g');
const AUTH_START_KNOWN = new RegExp(`\\bAUTH[ \\t]+(?:${MECHANISMS})\\b`, 'i');
const AUTH_START_OTHER = /\bAUTH[ \t]+[A-Z][A-Z0-9_-]{2,}/;
/**
 * A line of an AUTH exchange after the AUTH command: an optional reply code ("334 ", "535-5.7.8 ")
 * and one base64 token (or "=" for empty, "*" to cancel).
 */
const CONTINUATION =
  /^(\s*(?:[CS]:\s*)?(?:(\d{3})[ -](?:\d\.\d{1,3}\.\d{1,3}[ \t]+)?)?)([A-Za-z0-9+/]+={0,2}|=|\*)(\s*)$/;

/** Removes the data of every AUTH command and the client's base64 lines that follow it. */
function redactAuthExchanges(text: string): string {
  const inline = text
    .replace(AUTH_KNOWN, (_m, auth: string, space: string) => `${auth}${space}${REDACTED}`)
    .replace(AUTH_OTHER, (_m, auth: string, space: string) => `${auth}${space}${REDACTED}`);
  if (!/[\r\n]/.test(inline)) return inline;
  const parts = inline.split(/(\r?\n|\r)/);
  let inExchange = false;
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i]!;
    if (AUTH_START_KNOWN.test(line) || AUTH_START_OTHER.test(line)) {
      inExchange = true;
      continue;
    }
    if (!inExchange) continue;
    const m = CONTINUATION.exec(line);
    if (!m) {
      inExchange = false;
      continue;
    }
    // 334 is the server's prompt ("Username:", a CRAM-MD5 challenge): not a secret.
    if (m[2] !== '334') parts[i] = `${m[1]}${REDACTED}${m[4]}`;
  }
  return parts.join('');
}

/** Secrets recognisable by their shape, wherever they come from. */
const SHAPES: Array<[RegExp, string]> = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1***@'],
  [/\bxox[a-z]-[A-Za-z0-9-]+/g, 'xox*-***'],
  [/\bxapp-[A-Za-z0-9-]+/g, 'xapp-***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ***'],
  [/\b((?:token|password|passwd|secret|api[_-]?key)\s*[=:]\s*)("?)[^\s",;&]+/gi, '$1$2***'],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern that matches any of `forms` (longest first, so a whole blob goes before its core). */
function formsPattern(forms: readonly string[]): RegExp | null {
  const usable = [...new Set(forms.filter((f) => f.length >= MIN_FORM_CHARS))].sort((a, b) => b.length - a.length);
  return usable.length === 0 ? null : new RegExp(usable.map(escapeRegExp).join('|'), 'g');
}

/**
 * The credentials this process holds, remembered where they are read (the CLI's environment, an
 * SMTP transport), so every place text leaves the process can take them out without being handed
 * them: the logger, the outbox and the failure notices sit on call paths that never see SMTP_URL.
 */
const remembered = new Set<string>();
let rememberedPattern: RegExp | null = null;

export function rememberCredential(credential: Credential): void {
  const before = remembered.size;
  for (const form of credentialForms(credential)) remembered.add(form);
  if (remembered.size !== before) rememberedPattern = formsPattern([...remembered]);
}

/** Remembers the secrets of pulsebot's environment: SMTP_URL's and DATABASE_URL's passwords, the Slack tokens. */
export function rememberEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  for (const name of ['SMTP_URL', 'DATABASE_URL']) {
    const credential = urlCredential(env[name]);
    if (credential) rememberCredential(credential);
  }
  for (const name of ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']) {
    const token = env[name]?.trim();
    if (token) rememberCredential({ secret: token });
  }
}

/**
 * The user and password of a URL (decoded), with the password as written. The URL itself is not a
 * form: with its password taken out, its host stays readable in a message.
 */
export function urlCredential(url: string | undefined): Credential | null {
  const text = url?.trim();
  if (!text) return null;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return null;
  }
  if (!parsed.password) return null;
  let user = parsed.username;
  let secret = parsed.password;
  try {
    user = decodeURIComponent(parsed.username);
    secret = decodeURIComponent(parsed.password);
  } catch {
    // A malformed %-escape: the URL is refused where it is read; the raw spelling is redacted.
  }
  return { user, secret, asWritten: [parsed.password] };
}

/**
 * `text` with AUTH exchanges, secret-shaped strings, every spelling of `credentials` and of the
 * remembered credentials taken out.
 */
export function redact(text: string, credentials: readonly Credential[] = []): string {
  // The AUTH exchange first, whole: a spelling removed from inside it first would leave its edges.
  let out = redactAuthExchanges(text);
  const own = formsPattern(credentials.flatMap(credentialForms));
  if (own) out = out.replace(own, REDACTED);
  if (rememberedPattern) out = out.replace(rememberedPattern, REDACTED);
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}
