/**
 * Slack's Block Kit limits, the check the transport runs as a last guard, and the two text
 * primitives every Slack builder uses to keep data inside them: escaping and fitting.
 *
 * Lengths are counted in UTF-16 code units (String.length), which is never less than Slack's
 * character count, so a message this accepts is not rejected for length.
 */

export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  buttonUrl: 3000,
  /** All text of all blocks together: Slack answers msg_blocks_too_long (undocumented) near 13k. */
  totalText: 12_000,
  fallbackText: 3000,
} as const;

/**
 * & → &amp;, < → &lt;, > → &gt;, in that order (so the entities made for < and > are not
 * escaped again). Without it a model named "<!channel>" pings the channel and
 * "<https://evil|click>" becomes a link.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `raw` escaped, cut so that the escaped result is at most `max` characters, ending in "…" when
 * cut. Cutting after escaping could split an entity ("&am…") or a surrogate pair; this never does.
 */
export function fitEscaped(raw: string, max: number): string {
  const full = escapeSlack(raw);
  if (full.length <= max) return full;
  let out = '';
  for (const ch of raw) {
    const piece = escapeSlack(ch);
    if (out.length + piece.length + 1 > max) break;
    out += piece;
  }
  return `${out}…`;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const textOf = (x: unknown): string | null => (isObj(x) && typeof x.text === 'string' ? x.text : null);

/** Every text object's text in a value (blocks, elements, fields, buttons), depth first. */
function textObjects(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) {
    for (const item of x) textObjects(item, out);
  } else if (isObj(x)) {
    if ((x.type === 'plain_text' || x.type === 'mrkdwn') && typeof x.text === 'string') out.push(x.text);
    for (const [key, value] of Object.entries(x))
      if (key !== 'text' || typeof value !== 'string') textObjects(value, out);
  }
  return out;
}

/** Characters of all text objects in the blocks: what Slack's msg_blocks_too_long is about. */
export function totalBlockText(blocks: unknown[]): number {
  return textObjects(blocks).reduce((n, t) => n + t.length, 0);
}

/**
 * What in a message Slack would reject, in words ("block 3 (section): 11 fields, max 10"); []
 * when the message is within the limits.
 */
export function slackLimitViolations(blocks: unknown[], text: string): string[] {
  const L = SLACK_LIMITS;
  const out: string[] = [];
  if (blocks.length > L.blocks) out.push(`${blocks.length} blocks, max ${L.blocks}`);
  if (text.length === 0) out.push('fallback text is empty');
  if (text.length > L.fallbackText) out.push(`fallback text: ${text.length} characters, max ${L.fallbackText}`);
  const total = totalBlockText(blocks);
  if (total > L.totalText) out.push(`all block text: ${total} characters, max ${L.totalText}`);
  for (const text of textObjects(blocks))
    if (text.length === 0) out.push('a text object is empty (Slack requires at least 1 character)');

  blocks.forEach((block, i) => {
    const where = `block ${i + 1}${isObj(block) && typeof block.type === 'string' ? ` (${block.type})` : ''}`;
    if (!isObj(block) || typeof block.type !== 'string') {
      out.push(`${where}: not a block object with a type`);
      return;
    }
    const over = (what: string, n: number, max: number) => {
      if (n > max) out.push(`${where}: ${what} ${n} characters, max ${max}`);
    };
    switch (block.type) {
      case 'header': {
        if (!isObj(block.text) || block.text.type !== 'plain_text')
          out.push(`${where}: header text must be plain_text`);
        over('header text', textOf(block.text)?.length ?? 0, L.headerText);
        break;
      }
      case 'section': {
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (textOf(block.text) === null && fields.length === 0) out.push(`${where}: a section needs text or fields`);
        over('section text', textOf(block.text)?.length ?? 0, L.sectionText);
        if (fields.length > L.fields) out.push(`${where}: ${fields.length} fields, max ${L.fields}`);
        for (const [j, f] of fields.entries()) over(`field ${j + 1}`, textOf(f)?.length ?? 0, L.fieldText);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) out.push(`${where}: a context needs at least one element`);
        if (elements.length > L.contextElements)
          out.push(`${where}: ${elements.length} elements, max ${L.contextElements}`);
        for (const [j, e] of elements.entries()) over(`element ${j + 1}`, textOf(e)?.length ?? 0, L.contextText);
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        for (const [j, e] of elements.entries()) {
          if (!isObj(e) || e.type !== 'button') continue;
          over(`button ${j + 1} text`, textOf(e.text)?.length ?? 0, L.buttonText);
          if (typeof e.url === 'string') over(`button ${j + 1} url`, e.url.length, L.buttonUrl);
        }
        break;
      }
    }
  });
  return out;
}
