import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Text widths from Inter's own advance widths. Without a canvas, vega guesses 0.8 em a
 * character, about half again Inter's real width: layouts then reserve room for text that is
 * not there, and a subtitle the chart's width in reality "overflows" and widens the picture. The
 * charts draw only Inter (fonts.ts), so its hmtx table gives the width the rasteriser will use
 * (kerning aside, which only narrows text). vega calls `textMetrics.width` for every width it
 * needs once it is replaced (vl-convert does the same).
 */

interface Metrics {
  unitsPerEm: number;
  advance: (codePoint: number) => number;
}

function parseFont(buf: Buffer): Metrics {
  const tables = new Map<string, number>();
  const count = buf.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + i * 16;
    tables.set(buf.toString('latin1', at, at + 4), buf.readUInt32BE(at + 8));
  }
  const table = (tag: string) => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`font has no ${tag} table`);
    return at;
  };
  const unitsPerEm = buf.readUInt16BE(table('head') + 18);
  const metrics = buf.readUInt16BE(table('hhea') + 34);
  const hmtx = table('hmtx');
  const advanceOf = (glyph: number) => buf.readUInt16BE(hmtx + 4 * Math.min(glyph, metrics - 1));

  // cmap: the Windows Unicode subtable, format 12 (full range) or 4 (BMP).
  const cmap = table('cmap');
  const subtables = new Map<string, number>();
  for (let i = 0; i < buf.readUInt16BE(cmap + 2); i++) {
    const at = cmap + 4 + i * 8;
    subtables.set(`${buf.readUInt16BE(at)}/${buf.readUInt16BE(at + 2)}`, cmap + buf.readUInt32BE(at + 4));
  }
  const glyphs = new Map<number, number>();
  const full = subtables.get('3/10');
  const bmp = subtables.get('3/1');
  if (full !== undefined && buf.readUInt16BE(full) === 12) {
    for (let g = 0; g < buf.readUInt32BE(full + 12); g++) {
      const at = full + 16 + g * 12;
      const [start, end, glyph] = [buf.readUInt32BE(at), buf.readUInt32BE(at + 4), buf.readUInt32BE(at + 8)];
      for (let c = start; c <= end && c <= 0x2ffff; c++) glyphs.set(c, glyph + c - start);
    }
  } else if (bmp !== undefined && buf.readUInt16BE(bmp) === 4) {
    const segs = buf.readUInt16BE(bmp + 6) / 2;
    const ends = bmp + 14;
    const starts = ends + 2 * segs + 2;
    const deltas = starts + 2 * segs;
    const ranges = deltas + 2 * segs;
    for (let s = 0; s < segs; s++) {
      const [end, start] = [buf.readUInt16BE(ends + 2 * s), buf.readUInt16BE(starts + 2 * s)];
      const [delta, range] = [buf.readInt16BE(deltas + 2 * s), buf.readUInt16BE(ranges + 2 * s)];
      for (let c = start; c <= end && c !== 0xffff; c++) {
        const glyph = range === 0 ? (c + delta) & 0xffff : buf.readUInt16BE(ranges + 2 * s + range + 2 * (c - start));
        if (glyph !== 0) glyphs.set(c, range === 0 ? glyph : (glyph + delta) & 0xffff);
      }
    }
  } else {
    throw new Error('font has no Unicode cmap');
  }
  // A character Inter lacks is drawn as a box about this wide.
  const missing = Math.round(0.7 * unitsPerEm);
  return {
    unitsPerEm,
    advance: (c) => {
      const g = glyphs.get(c);
      return g === undefined ? missing : advanceOf(g);
    },
  };
}

let fonts: { regular: Metrics; bold: Metrics } | null = null;

function interFonts() {
  if (!fonts) {
    const pkg = dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/inter'));
    const load = (dir: string, file: string) => parseFont(readFileSync(join(pkg, dir, file)));
    fonts = { regular: load('400Regular', 'Inter_400Regular.ttf'), bold: load('700Bold', 'Inter_700Bold.ttf') };
  }
  return fonts;
}

const isBold = (weight: unknown) =>
  weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || weight === '700';

/** Width in px of `text` in Inter at `fontSize`, bold or regular. */
export function interWidth(text: string, fontSize: number, bold = false): number {
  const f = bold ? interFonts().bold : interFonts().regular;
  let units = 0;
  for (const ch of text) units += f.advance(ch.codePointAt(0)!);
  return (units * fontSize) / f.unitsPerEm;
}

type Item = { fontSize?: number | string; fontWeight?: unknown; limit?: number; text?: unknown };

/** vega's `textMetrics.width(item, text)`: the item's font size and weight, Inter's widths. */
export function vegaTextWidth(item: Item, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const line = text == null ? '' : String(text).trim();
  return size <= 0 || !line ? 0 : interWidth(line, size, isBold(item.fontWeight));
}
