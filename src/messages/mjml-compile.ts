import mjml2html from 'mjml';
import { PulsebotError } from '../errors.js';

/**
 * The mjml compiler call and the checks around it, apart from the template helpers in
 * mjml-render.ts: mjml (and what it pulls in) is only loaded where an email is compiled — in the
 * daemon that is the short-lived render process (src/render/), so the daemon itself stays small.
 * `slots` hold already-escaped markup text.
 */

const PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;

/**
 * Compiles MJML source whose mj-include paths are relative to `filePath`. Every placeholder in the
 * source and in its partials must have a slot, and every slot must be used: a section that
 * silently disappears, or a literal "{{kpis}}" in someone's inbox, is a bug.
 */
export async function compileMjml(
  source: string,
  filePath: string,
  slots: Readonly<Record<string, string>>,
): Promise<string> {
  const used = new Set<string>();
  const missing = new Set<string>();
  // One pass per file, and the replacement text is not scanned again: data that happens to
  // contain "{{sections}}" stays text.
  const fill = (xml: string) =>
    xml.replace(PLACEHOLDER, (_whole, key: string) => {
      used.add(key);
      const value = Object.hasOwn(slots, key) ? slots[key] : undefined;
      if (value === undefined) {
        missing.add(key);
        return '';
      }
      return value;
    });

  let html: string;
  try {
    const result = await mjml2html(source, {
      filePath,
      ignoreIncludes: false,
      validationLevel: 'strict',
      // The default would add a Google Fonts <link>: a tracking request for every reader.
      fonts: {},
      keepComments: true,
      preprocessors: [fill],
    });
    html = result.html;
  } catch (cause) {
    const first = (cause as { errors?: Array<{ formattedMessage?: string }> }).errors?.[0]?.formattedMessage;
    throw new PulsebotError(
      'RENDER_FAILED',
      `email template ${displayName(filePath)} is not valid MJML${first ? `: ${first}` : ''}`,
      { cause },
    );
  }

  // Under validationLevel strict an include that fails to load is still no error: mjml only
  // leaves a comment in its place.
  const include = /<!-- mj-include (fails to read file : (\S+)|denied)/.exec(html);
  if (include) {
    // mjml denies a path it cannot resolve, so a missing partial reads "denied" too.
    throw new PulsebotError(
      'RENDER_FAILED',
      `email template ${displayName(filePath)}: mj-include ${include[2] ? `of ${include[2]} cannot be read` : 'refused: the partial does not exist or lies outside the templates folder'}`,
    );
  }
  if (missing.size > 0) {
    throw new PulsebotError(
      'RENDER_FAILED',
      `email template ${displayName(filePath)} has placeholders without a value: ${[...missing].join(', ')}`,
    );
  }
  const unused = Object.keys(slots).filter((k) => !used.has(k));
  if (unused.length > 0) {
    throw new PulsebotError(
      'RENDER_FAILED',
      `email template ${displayName(filePath)} has no placeholder for: ${unused.join(', ')}`,
    );
  }
  return html;
}

const displayName = (filePath: string) => filePath.split(/[\\/]/).pop() ?? filePath;
