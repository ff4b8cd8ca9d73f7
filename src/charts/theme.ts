import type { Config } from 'vega-lite';
import { CHART_FONT } from './fonts.js';

/**
 * Shared look (docs/charts.md). The digest charts are drawn for the email column: 552 CSS px
 * wide on a desktop, about 327 px on a phone (a 375 px viewport minus the column's padding). At
 * 327 / 552 the smallest text, 17 px here, still reads 10 CSS px.
 */

/** The email column's width in CSS px (src/messages/mjml-render.ts CONTENT_WIDTH). */
export const CHART_WIDTH = 552;

export const TEXT = { body: 17, title: 20 } as const;

export const SIZE = {
  wide: { width: CHART_WIDTH, height: 330 },
  spark: { width: 300, height: 80 },
  /** "No data for …": a line, not a screen of white. */
  empty: { width: CHART_WIDTH, height: 140 },
} as const;

/**
 * One meaning per colour. Status colours (green, amber, red) say good / watch / bad and nothing
 * else; provider colours are blues, purples and pinks; totals are ink and grey; thresholds are
 * dashed ink; the report's day is a pale band.
 */
export const INK = {
  text: '#1F2328',
  muted: '#59636E',
  grid: '#E6E8EB',
  domain: '#B0B7BF',
  /** A measure that is not split by provider (total requests, success rate, p95, a score). */
  series: '#32383F',
  seriesLight: '#C3CAD2',
  /** A target, SLO or budget line and its label. */
  threshold: '#59636E',
  /** The band behind the report's day (or period) in the per-day charts. */
  highlight: '#DDE5EE',
  none: '#D0D5DA',
  good: '#1F883D',
  warn: '#D29922',
  bad: '#CF222E',
} as const;

/** Known providers' colours, fixed whatever else a chart shows (blue, purple and pink hues only). */
const PROVIDER_COLOURS: Readonly<Record<string, string>> = {
  openai: '#1F5FAD',
  anthropic: '#A4508B',
  google: '#4FA3D9',
  mistral: '#7A5195',
  flux: '#1B8A99',
  bfl: '#1B8A99',
  ideogram: '#E38CC2',
  luma: '#3B2F7A',
  runway: '#9F8FDB',
  stability: '#6B7FA6',
};
/** Other providers get one of these from a hash of their name: the same one in every chart. */
const SPARE_COLOURS = ['#2B7BB9', '#8E5DB0', '#5FB6C9', '#C9679A', '#536DB0', '#B48AD6', '#2F4B7C', '#D28DB5'];
/** "other (N models)", "unknown" and empty names. */
const OTHER_COLOUR = '#9AA1A9';
const OTHER_NAMES = new Set(['other', 'unknown', '']);
const PROVIDER_ORDER = Object.keys(PROVIDER_COLOURS);

export const providerKey = (p: string) => p.trim().toLowerCase();

/** FNV-1a over the name's UTF-16 units: stable across runs and machines. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function providerColour(p: string): string {
  const key = providerKey(p);
  if (OTHER_NAMES.has(key)) return OTHER_COLOUR;
  return PROVIDER_COLOURS[key] ?? SPARE_COLOURS[hash(key) % SPARE_COLOURS.length]!;
}

/** Known providers first in their fixed order, then the rest alphabetically, "other" last. */
function sortProviders(names: Iterable<string>): string[] {
  const rank = (p: string) => {
    if (OTHER_NAMES.has(p)) return PROVIDER_ORDER.length + 1;
    const i = PROVIDER_ORDER.indexOf(p);
    return i < 0 ? PROVIDER_ORDER.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A colour scale fixed to the providers present: `{ domain, range }`. */
export function providerScale(names: Iterable<string>) {
  const domain = sortProviders(names);
  return { domain, range: domain.map(providerColour) };
}

export const config: Config = {
  font: CHART_FONT,
  background: '#ffffff',
  padding: 10,
  view: { stroke: null },
  title: {
    fontSize: TEXT.title,
    fontWeight: 700,
    color: INK.text,
    anchor: 'start',
    offset: 12,
    subtitleFontSize: TEXT.body,
    subtitleColor: INK.muted,
    subtitlePadding: 4,
    limit: 0,
  },
  axis: {
    labelFontSize: TEXT.body,
    titleFontSize: TEXT.body,
    titleFontWeight: 400,
    labelColor: INK.muted,
    titleColor: INK.muted,
    gridColor: INK.grid,
    domainColor: INK.domain,
    tickColor: INK.domain,
    labelLimit: 0,
    labelPadding: 4,
  },
  legend: {
    labelFontSize: TEXT.body,
    titleFontSize: TEXT.body,
    titleFontWeight: 400,
    labelColor: INK.text,
    titleColor: INK.muted,
    orient: 'bottom',
    direction: 'horizontal',
    symbolType: 'square',
    symbolSize: 180,
    labelLimit: 200,
    columnPadding: 14,
  },
  header: { labelFontSize: TEXT.body, titleFontSize: TEXT.body, labelColor: INK.text },
  text: { font: CHART_FONT, fontSize: TEXT.body, color: INK.text },
  bar: { continuousBandSize: 14 },
};
