import { escapeHtml } from '../messages/markup.js';

/**
 * A rough HTML rendering of Block Kit blocks for the local preview page, so a user can see the
 * Slack digest without a workspace. Block text is already Slack-escaped (&amp; &lt; &gt;), which
 * is also valid HTML; only the mrkdwn markers are translated.
 */
type Text = { type?: string; text?: string };
type Block = { type?: string; text?: Text; fields?: Text[]; elements?: Array<Text & { url?: string }> };

/** mrkdwn (already entity-escaped by the builder) → HTML. */
function mrkdwnToHtml(text: string): string {
  const blocks: string[] = [];
  let html = text.replace(/```([\s\S]*?)```/g, (_m, code: string) => {
    blocks.push(`<pre>${code.replace(/^\n/, '')}</pre>`);
    return `\u0000${blocks.length - 1}\u0000`;
  });
  html = html
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>')
    .replace(/&lt;(https?:\/\/[^|&\s]+)\|([^&]*)&gt;/g, '<a href="$1">$2</a>')
    .replace(/\n/g, '<br>');
  // NUL brackets the code blocks' placeholders: it cannot occur in Slack text.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the placeholder is made of NULs on purpose
  return html.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => blocks[Number(i)]!);
}

function textHtml(t: Text | undefined): string {
  if (!t?.text) return '';
  return t.type === 'plain_text' ? escapeHtml(t.text) : mrkdwnToHtml(t.text);
}

export function blocksToHtml(blocks: unknown[]): string {
  return (blocks as Block[])
    .map((b) => {
      switch (b.type) {
        case 'header':
          return `<div class="sk-header">${textHtml(b.text)}</div>`;
        case 'section': {
          const fields = b.fields?.length
            ? `<div class="sk-fields">${b.fields.map((f) => `<div>${textHtml(f)}</div>`).join('')}</div>`
            : '';
          return `<div class="sk-section">${textHtml(b.text)}${fields}</div>`;
        }
        case 'context':
          return `<div class="sk-context">${(b.elements ?? []).map((e) => textHtml(e)).join(' ')}</div>`;
        case 'divider':
          return '<hr class="sk-divider">';
        case 'actions':
          return `<div class="sk-actions">${(b.elements ?? []).map((e) => `<a class="sk-button" href="${escapeHtml(e.url ?? '#')}">${textHtml((e as { text?: Text }).text)}</a>`).join('')}</div>`;
        default:
          return `<div class="sk-unknown">[${escapeHtml(String(b.type))} block]</div>`;
      }
    })
    .join('\n');
}
