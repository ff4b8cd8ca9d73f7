import sharp from 'sharp';
import * as vega from 'vega';
import { parse, View, type Loader, type Spec, type ViewOptions } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ensureFonts } from './fonts.js';
import { vegaTextWidth } from './text-width.js';

export class ChartLoadError extends Error {
  constructor(what: string) {
    super(`charts may not load files or URLs (${what}); pass data as inline values`);
    this.name = 'ChartLoadError';
  }
}

const refuse = (uri: unknown): never => {
  throw new ChartLoadError(String(uri).slice(0, 200));
};

/** A vega loader that refuses everything: a spec cannot read a file or fetch a URL. */
export const lockedLoader: Loader = {
  load: async (uri) => refuse(uri),
  sanitize: async (uri) => refuse(uri),
  http: async (uri) => refuse(uri),
  file: async (name) => refuse(name),
};

type Logger = NonNullable<ViewOptions['logger']>;

/** Collects vega's errors (it logs a failed data load instead of throwing) and stays quiet. */
function collectingLogger(errors: unknown[]): Logger {
  const logger: Logger = {
    level: () => logger,
    error: (...args: unknown[]) => {
      errors.push(args.find((a) => a instanceof Error) ?? args.join(' '));
      return logger;
    },
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/** Refuses, before any dataflow runs, a compiled spec that names a URL anywhere (data or image). */
function assertNoUrls(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    for (const [i, x] of node.entries()) assertNoUrls(x, `${path}[${i}]`);
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'url') refuse(`${path}.url = ${JSON.stringify(v)}`);
      assertNoUrls(v, `${path}.${k}`);
    }
  }
}

export interface RenderedChart {
  png: Buffer;
  width: number;
  height: number;
}

/** vega's text measuring, untyped in its typings; replaced by Inter's real widths (text-width.ts). */
const textMetrics = (vega as unknown as { textMetrics: { width: (item: object, text: unknown) => number } })
  .textMetrics;

/**
 * Vega-Lite spec → vega View (headless, no renderer, locked loader) → SVG at `scale`. A new
 * View per call, always finalized: cached Views grow memory without bound.
 */
export async function chartSvg(spec: TopLevelSpec, scale = 2): Promise<string> {
  textMetrics.width = vegaTextWidth;
  const vgSpec: Spec = compile(spec, { logger: collectingLogger([]) }).spec;
  assertNoUrls(vgSpec, 'spec');
  const errors: unknown[] = [];
  const view = new View(parse(vgSpec), { renderer: 'none', loader: lockedLoader, logger: collectingLogger(errors) });
  let svg: string;
  try {
    svg = await view.toSVG(scale);
  } finally {
    view.finalize();
  }
  const first = errors[0];
  if (first !== undefined) throw first instanceof Error ? first : new Error(`chart failed: ${String(first)}`);
  return svg;
}

/** chartSvg → PNG, with the bundled font (fonts.ts). */
export async function renderChart(spec: TopLevelSpec, opts: { scale?: number } = {}): Promise<RenderedChart> {
  ensureFonts();
  const svg = await chartSvg(spec, opts.scale ?? 2);
  // Second line of defence: the SVG rasteriser must not be handed a reference to fetch either
  // (image marks keep their URL in the SVG even when the loader refused it).
  if (/<image\b|\bxlink:href=|\bhref=/.test(svg)) refuse('an image or link in the chart');
  const { data, info } = await sharp(Buffer.from(svg))
    .png({ compressionLevel: 6 })
    .toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}
