// What the demo sells: real providers and model names with their list prices (shared/PRICES.md),
// how popular each model is, and how long its calls take. Data only, plus the cost rule.

export type ServiceType = 'content' | 'images' | 'video';
export type Provider = 'openai' | 'anthropic' | 'flux' | 'ideogram' | 'luma' | 'runway';

/** A price option of one model (image quality, video resolution); `weight` is its popularity. */
export interface PriceTier {
  readonly name: string;
  /** USD per image (images) or per second of video (video). */
  readonly price: number;
  readonly weight: number;
}

interface ModelBase {
  readonly provider: Provider;
  readonly model: string;
  /** Relative share of all demo traffic; cheap models get more. */
  readonly weight: number;
}

export interface ContentModel extends ModelBase {
  readonly service: 'content';
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Median time to first token; the rest of the latency is output tokens / throughput. */
  readonly ttftMedianMs: number;
  readonly tokensPerSecond: number;
}

export interface ImageModel extends ModelBase {
  readonly service: 'images';
  readonly tiers: readonly PriceTier[];
  readonly defaultTier: string;
  /** Median latency of a one-image call. */
  readonly latencyMedianMs: number;
}

export interface VideoModel extends ModelBase {
  readonly service: 'video';
  readonly tiers: readonly PriceTier[];
  readonly defaultTier: string;
  /** Clip lengths the provider's API accepts, with popularity. */
  readonly durations: readonly { readonly seconds: number; readonly weight: number }[];
  /** Median latency of a 5-second clip. */
  readonly latencyMedianMs: number;
}

export type CatalogModel = ContentModel | ImageModel | VideoModel;

const single = (price: number): readonly PriceTier[] => [{ name: 'standard', price, weight: 1 }];
const RUNWAY_DURATIONS = [
  { seconds: 5, weight: 65 },
  { seconds: 10, weight: 35 },
] as const;
// Luma's API takes "5s" or "9s", not 10.
const LUMA_DURATIONS = [
  { seconds: 5, weight: 65 },
  { seconds: 9, weight: 35 },
] as const;

// Weights sum to 100: ~80% content, ~16% images, ~4% video.
export const CATALOG: readonly CatalogModel[] = [
  {
    service: 'content',
    provider: 'openai',
    model: 'gpt-4o-mini',
    weight: 26,
    inputPerMTok: 0.15,
    outputPerMTok: 0.6,
    ttftMedianMs: 350,
    tokensPerSecond: 110,
  },
  {
    service: 'content',
    provider: 'openai',
    model: 'gpt-4o',
    weight: 12,
    inputPerMTok: 2.5,
    outputPerMTok: 10,
    ttftMedianMs: 450,
    tokensPerSecond: 85,
  },
  {
    service: 'content',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    weight: 12,
    inputPerMTok: 0.4,
    outputPerMTok: 1.6,
    ttftMedianMs: 380,
    tokensPerSecond: 105,
  },
  {
    service: 'content',
    provider: 'openai',
    model: 'gpt-4.1',
    weight: 6,
    inputPerMTok: 2,
    outputPerMTok: 8,
    ttftMedianMs: 500,
    tokensPerSecond: 80,
  },
  {
    service: 'content',
    provider: 'anthropic',
    model: 'claude-3-5-haiku',
    weight: 10,
    inputPerMTok: 0.8,
    outputPerMTok: 4,
    ttftMedianMs: 500,
    tokensPerSecond: 95,
  },
  {
    service: 'content',
    provider: 'anthropic',
    model: 'claude-sonnet-4',
    weight: 12,
    inputPerMTok: 3,
    outputPerMTok: 15,
    ttftMedianMs: 900,
    tokensPerSecond: 60,
  },
  {
    service: 'content',
    provider: 'anthropic',
    model: 'claude-opus-4',
    weight: 2,
    inputPerMTok: 15,
    outputPerMTok: 75,
    ttftMedianMs: 1600,
    tokensPerSecond: 35,
  },

  {
    service: 'images',
    provider: 'flux',
    model: 'flux-dev',
    weight: 4,
    tiers: single(0.025),
    defaultTier: 'standard',
    latencyMedianMs: 5_000,
  },
  {
    service: 'images',
    provider: 'flux',
    model: 'flux-pro-1.1',
    weight: 3,
    tiers: single(0.04),
    defaultTier: 'standard',
    latencyMedianMs: 7_000,
  },
  {
    service: 'images',
    provider: 'flux',
    model: 'flux-pro-1.1-ultra',
    weight: 1,
    tiers: single(0.06),
    defaultTier: 'standard',
    latencyMedianMs: 11_000,
  },
  {
    service: 'images',
    provider: 'ideogram',
    model: 'ideogram-v2-turbo',
    weight: 1.5,
    tiers: single(0.05),
    defaultTier: 'standard',
    latencyMedianMs: 5_500,
  },
  {
    service: 'images',
    provider: 'ideogram',
    model: 'ideogram-v2',
    weight: 1,
    tiers: single(0.08),
    defaultTier: 'standard',
    latencyMedianMs: 9_000,
  },
  {
    service: 'images',
    provider: 'ideogram',
    model: 'ideogram-v3',
    weight: 1.5,
    defaultTier: 'default',
    latencyMedianMs: 8_000,
    tiers: [
      { name: 'turbo', price: 0.03, weight: 30 },
      { name: 'default', price: 0.06, weight: 50 },
      { name: 'quality', price: 0.09, weight: 20 },
    ],
  },
  {
    service: 'images',
    provider: 'openai',
    model: 'gpt-image-1',
    weight: 3,
    defaultTier: 'medium',
    latencyMedianMs: 14_000,
    tiers: [
      { name: 'low', price: 0.011, weight: 25 },
      { name: 'medium', price: 0.042, weight: 55 },
      { name: 'high', price: 0.167, weight: 20 },
    ],
  },
  {
    service: 'images',
    provider: 'openai',
    model: 'dall-e-3',
    weight: 1,
    defaultTier: 'standard',
    latencyMedianMs: 11_000,
    tiers: [
      { name: 'standard', price: 0.04, weight: 75 },
      { name: 'hd', price: 0.08, weight: 25 },
    ],
  },

  // PRICES.md gives ray-2 as $0.06–$0.28/s by resolution; only those two ends are used, and
  // ray-flash-2 is "about a third" of each.
  {
    service: 'video',
    provider: 'luma',
    model: 'ray-flash-2',
    weight: 1.2,
    defaultTier: '540p',
    durations: LUMA_DURATIONS,
    latencyMedianMs: 40_000,
    tiers: [
      { name: '540p', price: 0.02, weight: 70 },
      { name: '1080p', price: 0.28 / 3, weight: 30 },
    ],
  },
  {
    service: 'video',
    provider: 'luma',
    model: 'ray-2',
    weight: 0.8,
    defaultTier: '540p',
    durations: LUMA_DURATIONS,
    latencyMedianMs: 90_000,
    tiers: [
      { name: '540p', price: 0.06, weight: 65 },
      { name: '1080p', price: 0.28, weight: 35 },
    ],
  },
  {
    service: 'video',
    provider: 'runway',
    model: 'gen-3-alpha-turbo',
    weight: 1,
    tiers: single(0.05),
    defaultTier: 'standard',
    durations: RUNWAY_DURATIONS,
    latencyMedianMs: 45_000,
  },
  {
    service: 'video',
    provider: 'runway',
    model: 'gen-4-turbo',
    weight: 0.7,
    tiers: single(0.05),
    defaultTier: 'standard',
    durations: RUNWAY_DURATIONS,
    latencyMedianMs: 55_000,
  },
  {
    service: 'video',
    provider: 'runway',
    model: 'gen-3-alpha',
    weight: 0.3,
    tiers: single(0.1),
    defaultTier: 'standard',
    durations: RUNWAY_DURATIONS,
    latencyMedianMs: 100_000,
  },
];

const BY_NAME: ReadonlyMap<string, CatalogModel> = new Map(CATALOG.map((m) => [m.model, m]));

function findModel(model: string): CatalogModel {
  const found = BY_NAME.get(model);
  if (!found) throw new RangeError(`unknown demo model: ${model}`);
  return found;
}

/** Token counts of a chat call (PRICES.md: 200–3,000 in, 100–1,500 out, long tails). */
export const CONTENT_SHAPE = {
  inputMedian: 850,
  inputSigma: 0.85,
  inputMin: 20,
  inputMax: 64_000,
  outputMedian: 220,
  outputSigma: 0.7,
  outputMin: 8,
  outputMax: 8_192,
} as const;

/** Images per call (PRICES.md: 1–4). */
export const IMAGE_COUNTS: readonly { readonly count: number; readonly weight: number }[] = [
  { count: 1, weight: 55 },
  { count: 2, weight: 20 },
  { count: 3, weight: 5 },
  { count: 4, weight: 20 },
];

/**
 * Share of calls that fail on a normal day, per provider, as a client sees them: the providers'
 * own outages (their status pages typically show 99.5–99.99% monthly API availability) plus the
 * client's rate limits, moderation refusals and invalid requests. Text calls fail least; image
 * and video jobs, longer and moderated, more. Together about 0.8%, so a healthy demo day meets
 * the default 99% SLO, as a healthy production day should.
 */
export const ERROR_RATE: Readonly<Record<Provider, number>> = {
  openai: 0.004,
  anthropic: 0.007,
  flux: 0.01,
  ideogram: 0.01,
  luma: 0.02,
  runway: 0.015,
};

export type ErrorCode =
  | 'rate_limited'
  | 'timeout'
  | 'server_error'
  | 'overloaded'
  | 'content_policy'
  | 'invalid_request';

export interface WeightedError {
  readonly code: ErrorCode;
  readonly weight: number;
}

/** The mix of error codes a provider returns for a service on a normal day. */
export function errorCodesFor(provider: Provider, service: ServiceType): readonly WeightedError[] {
  const codes: WeightedError[] = [
    { code: 'rate_limited', weight: 30 },
    { code: 'server_error', weight: 22 },
    { code: 'invalid_request', weight: 15 },
    { code: 'timeout', weight: 5 },
    // Generated pictures and clips trip moderation far more often than text.
    { code: 'content_policy', weight: service === 'content' ? 5 : 25 },
  ];
  // Only Anthropic answers 529 "overloaded"; the others report it as 5xx or 429.
  if (provider === 'anthropic') codes.push({ code: 'overloaded', weight: 25 });
  return codes;
}

export type Units =
  | { readonly inputTokens: number; readonly outputTokens: number }
  | { readonly images: number; readonly tier?: string }
  | { readonly videoSeconds: number; readonly tier?: string };

/** Matches the source column numeric(14,6). */
function roundUsd(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function tierPrice(m: ImageModel | VideoModel, tier: string | undefined): number {
  const name = tier ?? m.defaultTier;
  const found = m.tiers.find((t) => t.name === name);
  if (!found) throw new RangeError(`${m.model} has no tier ${name}`);
  return found.price;
}

/**
 * List-price cost of a successful call in USD, rounded to 6 decimals. Throws when the units do
 * not fit the model's service (tokens for an image model, …) or a count is negative.
 */
export function costOf(model: string, units: Units): number {
  const m = findModel(model);
  const check = (n: number, what: string): number => {
    if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`${what} must be a finite number >= 0`);
    return n;
  };
  if (m.service === 'content' && 'inputTokens' in units) {
    const inTok = check(units.inputTokens, 'inputTokens');
    const outTok = check(units.outputTokens, 'outputTokens');
    return roundUsd((inTok * m.inputPerMTok + outTok * m.outputPerMTok) / 1_000_000);
  }
  if (m.service === 'images' && 'images' in units) {
    return roundUsd(check(units.images, 'images') * tierPrice(m, units.tier));
  }
  if (m.service === 'video' && 'videoSeconds' in units) {
    return roundUsd(check(units.videoSeconds, 'videoSeconds') * tierPrice(m, units.tier));
  }
  throw new TypeError(`units ${JSON.stringify(units)} do not fit ${m.service} model ${model}`);
}
