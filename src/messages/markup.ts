/**
 * Escaping for the email's HTML and MJML. Model names, error codes, plan names and chart titles
 * come from the database and the config: a model called `<script>` must arrive as text. MJML
 * does not escape what it is given, so every fragment is built with the `markup` tag below,
 * which escapes each interpolated value unless it is already Markup. Raw data cannot slip into
 * a template by forgetting a call.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe both between tags and inside a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A fragment of MJML/HTML that has been built safely (its data already escaped). */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type MarkupValue = Markup | string | number | null | undefined | readonly MarkupValue[];

function render(value: MarkupValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template: the literal parts are trusted (they are the programmer's markup), every
 * `${value}` is escaped unless it is Markup; arrays are concatenated, null and undefined vanish.
 */
export function markup(strings: TemplateStringsArray, ...values: MarkupValue[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}

/** Markup parts joined with a separator (itself trusted markup). */
export function joinMarkup(parts: readonly MarkupValue[], separator = ''): Markup {
  return new Markup(parts.map(render).join(separator));
}

/**
 * Trusted markup from a constant in the code (never data). Named so a reviewer can grep for
 * every place that bypasses escaping.
 */
export function trustedMarkup(text: string): Markup {
  return new Markup(text);
}
