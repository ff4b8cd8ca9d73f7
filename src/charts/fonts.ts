import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * sharp renders SVG text through its own bundled fontconfig; on a machine without fonts every
 * glyph becomes an empty box, and on a machine with fonts the picture depends on which ones. So
 * the charts bring their font: a fonts.conf that lists ONLY Inter (from @expo-google-fonts/inter)
 * and maps the generic and common families to it. It must be in place before sharp renders its
 * first SVG, because fontconfig reads its configuration once per process.
 */

/** The weights the charts use: regular text and bold titles. */
const WEIGHTS = ['400Regular', '700Bold'] as const;

export const CHART_FONT = 'Inter';
const ALIASES = ['sans-serif', 'Inter', 'Helvetica', 'Arial', 'system-ui'];

let configured: string | null = null;

function interFontDirs(): string[] {
  const pkg = dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/inter'));
  return WEIGHTS.map((w) => join(pkg, w));
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fontsConf(fontDirs: readonly string[], cacheDir: string): string {
  const aliases = ALIASES.map(
    (f) => `  <alias binding="same"><family>${f}</family><prefer><family>${CHART_FONT}</family></prefer></alias>`,
  );
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<!-- Written by pulsebot (src/charts/fonts.ts): Inter only, no system fonts. -->',
    '<fontconfig>',
    ...fontDirs.map((d) => `  <dir>${xml(d)}</dir>`),
    `  <cachedir>${xml(cacheDir)}</cachedir>`,
    ...aliases,
    // Whatever family a spec asks for, the only candidate is Inter.
    `  <match target="pattern"><edit name="family" mode="prepend" binding="strong"><string>${CHART_FONT}</string></edit></match>`,
    '  <config><rescan><int>0</int></rescan></config>',
    '</fontconfig>',
    '',
  ].join('\n');
}

/**
 * Every process that renders makes one folder: remove it on the way out (a process killed by a
 * signal leaves it), never failing the exit.
 */
function removeOnExit(dir: string): void {
  process.once('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A folder left in the temp dir is litter, not an error worth an exit code.
    }
  });
}

/**
 * Writes the fonts.conf to a private temp dir (removed when the process exits) and points
 * FONTCONFIG_FILE at it. Idempotent; the caller (renderChart) runs it before its first sharp
 * call. Returns the path of the file.
 */
export function ensureFonts(): string {
  if (configured !== null && process.env.FONTCONFIG_FILE === configured) return configured;
  const dir = mkdtempSync(join(tmpdir(), 'pulsebot-fonts-'));
  removeOnExit(dir);
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  const file = join(dir, 'fonts.conf');
  writeFileSync(file, fontsConf(interFontDirs(), cache));
  process.env.FONTCONFIG_FILE = file;
  configured = file;
  return file;
}
