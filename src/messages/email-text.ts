/**
 * An email's content as blocks of plain strings (no markup, nothing escaped yet), and their
 * plain-text layout for the text/plain part. The HTML part (mjml-render.ts) lays out the same
 * blocks, so both parts carry the same numbers, sections and links. The text is meant to read
 * well in an 80-column terminal: lines are wrapped at 78 and tables that would not fit are
 * printed as one record per row.
 */

export type Tone = 'good' | 'bad' | 'warning' | 'neutral';

export interface Span {
  text: string;
  tone?: Tone;
  strong?: boolean;
}

export interface Cell {
  text: string;
  tone?: Tone;
  /** A second, smaller line under the value (a delta such as "▼ −16.3%"). */
  note?: Span;
}

export type Block =
  /** Headline figures side by side (stacked on a phone). */
  | { kind: 'stats'; items: Array<{ label: string; value: string; tone?: Tone; notes: Span[] }> }
  | { kind: 'table'; columns: Array<{ label: string; align?: 'left' | 'right' }>; rows: Cell[][] }
  | { kind: 'paragraph'; spans: Span[]; muted?: boolean }
  | { kind: 'list'; items: Span[][] }
  /** An inline image; `cid` without brackets. `width` is the display width in CSS pixels. */
  | { kind: 'image'; cid: string; title: string; alt: string; width: number }
  | { kind: 'button'; label: string; url: string }
  /** A highlighted line (sent late, a chart that failed). */
  | { kind: 'notice'; tone: Tone; spans: Span[] };

export interface ContentSection {
  /** Stable id ("kpis", "charts"): lets tests and styles find the section. */
  key: string;
  title: string;
  blocks: Block[];
}

export interface TextDocument {
  title: string;
  subtitle: string;
  /** Before the sections (late notice, summary). */
  intro: Block[];
  sections: ContentSection[];
  /** After the sections (the dashboard link). */
  outro: Block[];
  footer: string[];
}

const WIDTH = 78;
const len = (s: string) => [...s].length;
const pad = (s: string, n: number, align: 'left' | 'right' = 'left') =>
  align === 'right' ? ' '.repeat(Math.max(0, n - len(s))) + s : s + ' '.repeat(Math.max(0, n - len(s)));

/** Greedy word wrap; a word longer than the line (a URL) gets a line of its own. */
function wrapText(text: string, width = WIDTH, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && len(`${indent}${line} ${word}`) > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line || lines.length === 0) lines.push(indent + line);
  return lines;
}

const spansText = (spans: readonly Span[]) => spans.map((s) => s.text).join('');
const cellText = (c: Cell) => (c.note ? `${c.text} (${c.note.text})` : c.text);

function tableText(block: Extract<Block, { kind: 'table' }>): string[] {
  const head = block.columns.map((c) => c.label);
  const body = block.rows.map((r) => r.map(cellText));
  const widths = head.map((h, i) => Math.max(len(h), ...body.map((r) => len(r[i] ?? ''))));
  const gap = 2;
  const total = widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        pad(c, i === cells.length - 1 && block.columns[i]?.align !== 'right' ? 0 : widths[i]!, block.columns[i]?.align),
      )
      .join(' '.repeat(gap))
      .trimEnd();
  if (total <= WIDTH) {
    // A table without column labels (label → value pairs) needs no header rows.
    const header = head.some(Boolean) ? [line(head), widths.map((w) => '-'.repeat(w)).join(' '.repeat(gap))] : [];
    return [...header, ...body.map(line)];
  }
  // The last column (free text such as details) may wrap under itself if the rest fits.
  const lead = widths.slice(0, -1).reduce((a, b) => a + b + gap, 0);
  if (lead <= WIDTH - 24) {
    const lastWidth = WIDTH - lead;
    const out = [
      line([...head.slice(0, -1), head.at(-1)!]),
      widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? lastWidth : w)).join(' '.repeat(gap)),
    ];
    for (const r of body) {
      const wrapped = wrapText(r.at(-1) ?? '', lastWidth);
      out.push(line([...r.slice(0, -1), wrapped[0] ?? '']));
      for (const more of wrapped.slice(1)) out.push(' '.repeat(lead) + more);
    }
    return out;
  }
  // Too wide for a terminal: one record per row.
  return body.flatMap((r) => [
    ...wrapText(r[0] ?? '', WIDTH, '- '),
    ...r.slice(1).flatMap((c, i) => wrapText(`${head[i + 1]}: ${c}`, WIDTH, '    ')),
  ]);
}

function blockText(block: Block): string[] {
  switch (block.kind) {
    case 'stats':
      return block.items.flatMap((s) =>
        wrapText(
          `${s.label}: ${s.value}${s.notes.length ? ` (${s.notes.map((n) => n.text).join(', ')})` : ''}`,
          WIDTH,
          '  ',
        ).map((l, i) => (i === 0 ? `*${l.slice(1)}` : l)),
      );
    case 'table':
      return tableText(block);
    case 'paragraph':
      return wrapText(spansText(block.spans));
    case 'list':
      return block.items.flatMap((item) =>
        wrapText(spansText(item), WIDTH, '    ').map((l, i) => (i === 0 ? `  - ${l.slice(4)}` : l)),
      );
    case 'image':
      return wrapText(`[Chart: ${block.title}. ${block.alt}]`);
    case 'button':
      return [`${block.label}:`, `  ${block.url}`];
    case 'notice':
      return wrapText(`${block.tone === 'good' ? '' : '!! '}${spansText(block.spans)}`);
  }
}

function heading(title: string, underline: string): string[] {
  return [title, underline.repeat(Math.min(WIDTH, len(title)))];
}

/** The text/plain part: title, notices, sections in order, footer. */
export function documentText(doc: TextDocument): string {
  const out: string[] = [...heading(doc.title, '='), ...wrapText(doc.subtitle), ''];
  for (const b of doc.intro) out.push(...blockText(b), '');
  for (const section of doc.sections) {
    out.push(...heading(section.title.toUpperCase(), '-'));
    for (const block of section.blocks) out.push(...blockText(block), '');
  }
  for (const b of doc.outro) out.push(...blockText(b), '');
  out.push('-- ');
  for (const f of doc.footer) out.push(...wrapText(f));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
