import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulsebotError } from '../errors.js';
import { compileMjml } from '../render/renderer.js';
import { joinMarkup, markup, trustedMarkup, type Markup } from './markup.js';
import type { Block, Cell, ContentSection, Span, Tone } from './email-text.js';

/**
 * MJML templates in templates/ (shared partials in templates/partials/, pulled in with
 * mj-include) compiled to email HTML. Templates hold placeholders such as `{{sections}}`; each is
 * filled with a Markup fragment (data already escaped) before MJML parses the file. A compile
 * costs tens of milliseconds, so a digest compiles once and every recipient gets the same HTML.
 */
export type TemplateName = 'digest' | 'weekly' | 'alert';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

// The top-level template text is read once per process; partials are read by mjml itself
// (mj-include has no hook to hand it their text), and they are small.
const templateCache = new Map<string, Promise<string>>();

function templateText(path: string): Promise<string> {
  let text = templateCache.get(path);
  if (!text) {
    text = readFile(path, 'utf8');
    // A failed read (missing file) must not stay cached forever. Not swallowed: the caller awaits
    // the same promise and reports the failure.
    text.catch(() => templateCache.delete(path));
    templateCache.set(path, text);
  }
  return text;
}

export async function renderMjmlTemplate(name: TemplateName, slots: Record<string, Markup>): Promise<string> {
  const path = join(TEMPLATES_DIR, `${name}.mjml`);
  let source: string;
  try {
    source = await templateText(path);
  } catch (cause) {
    throw new PulsebotError('RENDER_FAILED', `email template ${name}.mjml cannot be read`, {
      cause,
      hint: `expected it in ${TEMPLATES_DIR}`,
    });
  }
  return renderMjml(source, path, slots);
}

/**
 * Compiles MJML source whose mj-include paths are relative to `filePath`, placeholders filled from
 * `slots` (strict: see mjml-compile.ts). Compiled in the render process when the daemon runs one.
 */
export async function renderMjml(source: string, filePath: string, slots: Record<string, Markup>): Promise<string> {
  return compileMjml(source, filePath, Object.fromEntries(Object.entries(slots).map(([k, v]) => [k, v.text])));
}

// ---------------------------------------------------------------------------------------------
// Content blocks (email-text.ts) as MJML. Inline styles only inside tables: Outlook and Gmail
// ignore or strip much of a <style> block, and raw HTML in mj-table is not styled by mjml.

const TONE_COLOR: Record<Tone, string> = { good: '#1a7f37', bad: '#c62828', warning: '#9a6700', neutral: '#57606a' };
const NOTICE_BACKGROUND: Record<Tone, string> = {
  good: '#e8f5ec',
  bad: '#fdecea',
  warning: '#fff4e0',
  neutral: '#f3f4f6',
};
/** Body 600 px minus 24 px padding each side. */
export const CONTENT_WIDTH = 552;

// mjml's columns set word-break:break-word, which on a phone splits "Requests" into "Reques|ts":
// tables break at spaces (and at the <wbr> breakText adds) instead.
const TH =
  'padding:6px 6px 6px 0;border-bottom:2px solid #d0d7de;font-size:12px;font-weight:600;color:#57606a;word-break:normal;vertical-align:bottom;';
const TD =
  'padding:6px 6px 6px 0;border-bottom:1px solid #eaeef2;vertical-align:top;word-break:normal;overflow-wrap:break-word;';

/** Text with break opportunities after / - _ . so "runway/gen-3-alpha-turbo" can wrap on a phone. */
function breakText(text: string): Markup {
  return joinMarkup(
    text.split(/(?<=[/\-_.])/).map((piece) => markup`${piece}`),
    '<wbr />',
  );
}

function spanMjml(span: Span): Markup {
  const style = `${span.tone ? `color:${TONE_COLOR[span.tone]};` : ''}${span.strong ? 'font-weight:600;' : ''}`;
  return style ? markup`<span style="${style}">${span.text}</span>` : markup`${span.text}`;
}
const spansMjml = (spans: readonly Span[]) => joinMarkup(spans.map(spanMjml));

function cellMjml(cell: Cell, align: 'left' | 'right', first: boolean): Markup {
  const style = `${TD}text-align:${align};${cell.tone ? `color:${TONE_COLOR[cell.tone]};` : ''}${first ? 'font-weight:600;' : ''}${align === 'right' ? 'white-space:nowrap;' : ''}`;
  const note = cell.note
    ? markup`<br /><span style="font-size:12px;font-weight:400;color:${TONE_COLOR[cell.note.tone ?? 'neutral']};">${cell.note.text}</span>`
    : null;
  return markup`<td style="${style}">${first ? breakText(cell.text) : cell.text}${note}</td>`;
}

function tableMjml(block: Extract<Block, { kind: 'table' }>): Markup {
  const align = (i: number) => block.columns[i]?.align ?? 'left';
  const head = block.columns.map((c, i) => markup`<th style="${TH}text-align:${align(i)};">${c.label}</th>`);
  const rows = block.rows.map((r) => markup`<tr>${r.map((c, i) => cellMjml(c, align(i), i === 0))}</tr>`);
  // A label → value table has no column labels, and no header row.
  const header = block.columns.some((c) => c.label) ? markup`<tr>${head}</tr>` : null;
  return markup`<mj-table width="100%" css-class="pb-table">${header}${rows}</mj-table>`;
}

/** The blocks that share one column, in one mj-section. */
function columnMjml(blocks: readonly Block[]): Markup {
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch covers every kind; the Markup return type makes TypeScript check it
  const parts = blocks.map((b): Markup => {
    switch (b.kind) {
      case 'table':
        return tableMjml(b);
      case 'paragraph':
        return markup`<mj-text${b.muted ? trustedMarkup(' color="#57606a" font-size="13px"') : null}>${spansMjml(b.spans)}</mj-text>`;
      case 'list':
        return markup`<mj-text><ul style="margin:0;padding-left:20px;">${b.items.map((item) => markup`<li style="margin:2px 0;">${spansMjml(item)}</li>`)}</ul></mj-text>`;
      case 'image':
        // The chart draws its own title: a heading above it would say it twice.
        return markup`<mj-image src="cid:${b.cid}" alt="${b.alt}" title="${b.title}" width="${Math.min(CONTENT_WIDTH, Math.round(b.width))}px" padding="12px 24px 0px 24px" fluid-on-mobile="true" />`;
      case 'button':
        return markup`<mj-button href="${b.url}" align="left" background-color="#1f4ed8" color="#ffffff" font-size="14px" font-weight="600" border-radius="4px" inner-padding="10px 18px" padding="12px 24px">${b.label}</mj-button>`;
      case 'notice':
        return markup`<mj-text container-background-color="${NOTICE_BACKGROUND[b.tone]}" color="${TONE_COLOR[b.tone]}" padding="10px 24px" font-weight="600">${spansMjml(b.spans)}</mj-text>`;
      case 'stats':
        throw new Error('stats blocks get their own section');
    }
  });
  return markup`<mj-section><mj-column>${parts}</mj-column></mj-section>`;
}

/** Headline figures: one column each, side by side on a desktop, stacked on a phone. */
function statsMjml(block: Extract<Block, { kind: 'stats' }>): Markup {
  const columns = block.items.map(
    (s) => markup`<mj-column>
      <mj-text padding="10px 24px 0px 24px" font-size="12px" color="#57606a" font-weight="600">${s.label}</mj-text>
      <mj-text padding="2px 24px" font-size="26px" line-height="32px" font-weight="700"${s.tone ? markup` color="${TONE_COLOR[s.tone]}"` : null}>${s.value}</mj-text>
      <mj-text padding="0px 24px 10px 24px" font-size="12px" line-height="17px">${joinMarkup(s.notes.map(spanMjml), '<br />')}</mj-text>
    </mj-column>`,
  );
  return markup`<mj-section>${columns}</mj-section>`;
}

export function blocksMjml(blocks: readonly Block[]): Markup {
  const out: Markup[] = [];
  let run: Block[] = [];
  const flush = () => {
    if (run.length) out.push(columnMjml(run));
    run = [];
  };
  for (const b of blocks) {
    if (b.kind === 'stats') {
      flush();
      out.push(statsMjml(b));
    } else {
      run.push(b);
    }
  }
  flush();
  return joinMarkup(out);
}

/** A titled section with a divider above it. */
export function sectionMjml(section: ContentSection): Markup {
  return markup`<mj-section css-class="pb-section-${section.key}"><mj-column>
      <mj-divider border-width="1px" border-color="#eaeef2" padding="8px 24px 0px 24px" />
      <mj-text padding="14px 24px 4px 24px" font-size="18px" line-height="24px" font-weight="700">${section.title}</mj-text>
    </mj-column></mj-section>${blocksMjml(section.blocks)}`;
}
