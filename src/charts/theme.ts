import type { Config } from 'vega-lite';
import { CHART_FONT } from './fonts.js';

/**
 * Shared look: Inter everywhere, one fixed colour per provider (Okabe–Ito, colour-blind safe) so
 * a provider keeps its colour in every chart, and the number formats of the reports.
 */

export const SIZE = {
  wide: { width: 720, height: 300 },
  spark: { width: 300, height: 80 },
} as const;

/** Okabe & Ito (2008), minus yellow (too pale on white). */
const PROVIDER_COLOURS: Readonly<Record<string, string>> = {
  openai: '#0072B2',
  anthropic: '#D55E00',
  flux: '#009E73',
  ideogram: '#CC79A7',
  luma: '#E69F00',
  runway: '#56B4E9',
};
/** Every other provider ("other", "unknown", ones added later) is grey. */
const OTHER_COLOUR = '#8C8C8C';
const PROVIDER_ORDER = Object.keys(PROVIDER_COLOURS);

const SERVICE_COLOURS: Readonly<Record<string, string>> = {
  content: '#0072B2',
  images: '#E69F00',
  video: '#009E73',
};

export const INK = {
  text: '#1F2328',
  muted: '#59636E',
  grid: '#E6E8EB',
  accent: '#0072B2',
  warn: '#E69F00',
  bad: '#D55E00',
  good: '#009E73',
};

export const providerKey = (p: string) => p.trim().toLowerCase();
export const providerColour = (p: string) => PROVIDER_COLOURS[providerKey(p)] ?? OTHER_COLOUR;

/** Known providers first in their fixed order, then the rest alphabetically. */
function sortProviders(names: Iterable<string>): string[] {
  const rank = (p: string) => {
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

export function serviceScale(names: Iterable<string>) {
  const domain = [...new Set(names)].sort();
  const spare = ['#CC79A7', '#56B4E9', '#D55E00', OTHER_COLOUR];
  let n = 0;
  return { domain, range: domain.map((s) => SERVICE_COLOURS[s] ?? spare[n++ % spare.length]!) };
}

/** d3-format specifiers and vega expressions for the report's units. */
export const FORMAT = {
  usd: '$,.2f',
  usdAxis: '$,.2~f',
  pct: '.1%',
  pctAxis: '.0%',
  count: ',d',
  countAxis: ',d',
} as const;

/** A vega expression turning milliseconds into "850 ms" / "12.5 s" / "4.2 min". */
export const msExpr = (v: string) =>
  `${v} >= 60000 ? format(${v} / 60000, ',.1~f') + ' min' : ${v} >= 1000 ? format(${v} / 1000, ',.1~f') + ' s' : format(${v}, ',.0f') + ' ms'`;

export function formatMs(ms: number): string {
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

export const config: Config = {
  font: CHART_FONT,
  background: '#ffffff',
  padding: 12,
  view: { stroke: null },
  title: {
    fontSize: 15,
    fontWeight: 700,
    color: INK.text,
    anchor: 'start',
    offset: 10,
    subtitleFontSize: 11,
    subtitleColor: INK.muted,
    limit: 0,
  },
  axis: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 400,
    labelColor: INK.muted,
    titleColor: INK.muted,
    gridColor: INK.grid,
    domainColor: '#B0B7BF',
    tickColor: '#B0B7BF',
    labelLimit: 0,
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 400,
    labelColor: INK.text,
    titleColor: INK.muted,
    orient: 'bottom',
    direction: 'horizontal',
    symbolType: 'square',
    labelLimit: 160,
  },
  text: { font: CHART_FONT, fontSize: 11, color: INK.text },
  bar: { continuousBandSize: 14 },
};
