// Synthetic api_usage rows and subscriptions for `pulsebot seed-demo` / `pulsebot demo`.
// Pure: everything is derived from the options (seed and `now` included), so a given set of
// options always yields the same rows, and rows are streamed so millions never sit in memory.
import {
  CATALOG,
  CONTENT_SHAPE,
  ERROR_RATE,
  IMAGE_COUNTS,
  costOf,
  errorCodesFor,
  type CatalogModel,
  type ErrorCode,
  type ServiceType,
  type WeightedError,
} from './catalog.js';
import { Rng, WeightedSampler } from './random.js';

export interface DemoUsageRow {
  created_at: Date;
  user_id: string | null;
  provider: string;
  service_type: 'content' | 'images' | 'video';
  model: string;
  input_tokens: number | null;
  output_tokens: number | null;
  images: number | null;
  video_seconds: number | null;
  /** Rounded to 6 decimals, >= 0; 0 for every failed call. */
  cost_usd: number;
  /** Integer. */
  latency_ms: number;
  success: boolean;
  error_code: string | null;
}

export interface DemoSubscription {
  user_id: string;
  plan: string;
  status: 'active' | 'canceled' | 'trialing' | 'past_due';
  monthly_amount_usd: number;
  started_at: Date;
  canceled_at: Date | null;
}

export interface DemoIncident {
  kind: 'provider_outage' | 'cost_spike';
  provider: string;
  model?: string;
  start: Date;
  end: Date;
  description: string;
}

export interface DemoPlan {
  users: string[];
  subscriptions: DemoSubscription[];
  incidents: DemoIncident[];
}

export interface DemoOptions {
  now: Date;
  days: number;
  rowsPerDay: number;
  seed: number | string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A Saturday or Sunday carries this share of a weekday's traffic. */
const WEEKEND_FACTOR = 0.6;
/** Share of calls without a user (system jobs, anonymous playground). */
const ANONYMOUS_SHARE = 0.05;
/** Incidents end at least this long before `now` (the promise is 48 h; keep a margin). */
const INCIDENT_QUIET_MS = 72 * HOUR_MS;
/** During an outage hour only this share of the provider's calls succeeds. */
const OUTAGE_SUCCESS_RATE = 0.2;
/** During a cost spike the provider's call volume is multiplied by this. */
const SPIKE_FACTOR = 3;

// Scaled so that an average week gives exactly `rowsPerDay` per day.
const WEEK_MEAN = (5 + 2 * WEEKEND_FACTOR) / 7;

/** Hourly traffic shape in UTC, mean 1: a floor at night, a peak around 15:00 UTC. */
const DIURNAL: readonly number[] = (() => {
  const raw = Array.from({ length: 24 }, (_, h) => 0.3 + Math.exp(-((h + 0.5 - 15) ** 2) / (2 * 4.5 ** 2)));
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  return raw.map((w) => w / mean);
})();

const PLANS = [
  { plan: 'free', price: 0, weight: 55, activity: 0.5 },
  { plan: 'starter', price: 19, weight: 25, activity: 1 },
  { plan: 'pro', price: 49, weight: 15, activity: 2 },
  { plan: 'team', price: 199, weight: 5, activity: 4 },
] as const;

type Status = DemoSubscription['status'];
const PAID_STATUSES: readonly { value: Status; weight: number }[] = [
  { value: 'active', weight: 78 },
  { value: 'canceled', weight: 10 },
  { value: 'trialing', weight: 7 },
  { value: 'past_due', weight: 5 },
];
// Nobody trials or falls behind on a free plan.
const FREE_STATUSES: readonly { value: Status; weight: number }[] = [
  { value: 'active', weight: 90 },
  { value: 'canceled', weight: 10 },
];
const TRIAL_MS = 14 * DAY_MS;

const OUTAGE_ERRORS: readonly WeightedError[] = [
  { code: 'overloaded', weight: 65 },
  { code: 'server_error', weight: 35 },
];

/** Where a client gives up; a timed-out call's latency is this, not the would-be latency. */
const CLIENT_TIMEOUT_MS: Readonly<Record<ServiceType, number>> = { content: 30_000, images: 60_000, video: 300_000 };
const LATENCY_BOUNDS: Readonly<Record<ServiceType, readonly [number, number]>> = {
  content: [150, 120_000],
  images: [1_500, 120_000],
  video: [15_000, 600_000],
};

function validate(opts: DemoOptions): void {
  if (!(opts.now instanceof Date) || Number.isNaN(opts.now.getTime())) throw new RangeError('now must be a valid Date');
  if (!Number.isFinite(opts.days) || opts.days <= 0) throw new RangeError(`days must be > 0, got ${opts.days}`);
  if (!Number.isFinite(opts.rowsPerDay) || opts.rowsPerDay < 0) {
    throw new RangeError(`rowsPerDay must be >= 0, got ${opts.rowsPerDay}`);
  }
}

/** About 0.15 users per daily row: 300 users at 2,000 rows/day, never fewer than 50. */
function userCount(rowsPerDay: number): number {
  return Math.min(100_000, Math.max(50, Math.round(rowsPerDay * 0.15)));
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const wholeSecond = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

export function planDemo(opts: DemoOptions): DemoPlan {
  validate(opts);
  const now = opts.now.getTime();
  const rng = new Rng(`${opts.seed}|plan`);
  // Sign-ups reach back well before the window, so most users exist from its first day.
  const horizon = Math.max(opts.days * 3, 365) * DAY_MS;
  const users: string[] = [];
  const subscriptions: DemoSubscription[] = [];
  for (let i = userCount(opts.rowsPerDay); i > 0; i--) {
    const user = rng.uuid();
    const plan = rng.pick(PLANS);
    const status = rng.pick(plan.price === 0 ? FREE_STATUSES : PAID_STATUSES).value;
    const started =
      status === 'trialing' ? now - rng.uniform(HOUR_MS, TRIAL_MS) : now - rng.uniform(2 * DAY_MS, horizon);
    const canceled = status === 'canceled' ? started + rng.uniform(DAY_MS, now - HOUR_MS - started) : null;
    users.push(user);
    subscriptions.push({
      user_id: user,
      plan: plan.plan,
      status,
      monthly_amount_usd: plan.price,
      started_at: wholeSecond(started),
      canceled_at: canceled === null ? null : wholeSecond(canceled),
    });
  }
  // A separate stream, so changing rowsPerDay does not move the incidents.
  const incidents = placeIncidents(opts, new Rng(`${opts.seed}|incidents`));
  return { users, subscriptions, incidents };
}

/**
 * One cost-spike UTC day and one outage hour (13:00–16:00 UTC, when it shows), on different
 * days, inside the window and ending INCIDENT_QUIET_MS before `now`. When the window allows,
 * they also stay clear of the last 10 days, so yesterday's digest and its day-over-day and
 * week-over-week comparisons look normal. Skipped when they do not fit.
 */
function placeIncidents(opts: DemoOptions, rng: Rng): DemoIncident[] {
  const end = opts.now.getTime();
  const start = end - opts.days * DAY_MS;
  const latest = end - INCIDENT_QUIET_MS;
  const preferred = end - 10 * DAY_MS;
  const limit = preferred - start >= 3 * DAY_MS ? preferred : latest;
  const incidents: DemoIncident[] = [];

  const firstDay = Math.ceil(start / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(limit / DAY_MS) * DAY_MS - DAY_MS;
  let spikeDay: number | null = null;
  if (lastDay >= firstDay) {
    spikeDay = firstDay + rng.int(0, (lastDay - firstDay) / DAY_MS) * DAY_MS;
    incidents.push({
      kind: 'cost_spike',
      provider: 'runway',
      start: new Date(spikeDay),
      end: new Date(spikeDay + DAY_MS),
      description: `runway video volume x${SPIKE_FACTOR} for one UTC day (a customer's batch job)`,
    });
  }

  const candidates: number[] = [];
  for (let day = Math.floor(start / DAY_MS) * DAY_MS; day < limit; day += DAY_MS) {
    if (day === spikeDay) continue;
    for (let h = 13; h <= 16; h++) {
      const s = day + h * HOUR_MS;
      if (s >= start && s + HOUR_MS <= limit) candidates.push(s);
    }
  }
  if (candidates.length > 0) {
    const s = candidates[rng.int(0, candidates.length - 1)] as number;
    incidents.push({
      kind: 'provider_outage',
      provider: 'anthropic',
      start: new Date(s),
      end: new Date(s + HOUR_MS),
      description: `anthropic overloaded: success rate ~${OUTAGE_SUCCESS_RATE * 100}% for one hour`,
    });
  }
  return incidents.sort((a, b) => a.start.getTime() - b.start.getTime());
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly provider: string;
  readonly model: string | undefined;
}

const toSpan = (i: DemoIncident): Span => ({
  start: i.start.getTime(),
  end: i.end.getTime(),
  provider: i.provider,
  model: i.model,
});
const hits = (s: Span, m: CatalogModel): boolean => s.provider === m.provider && (s.model ?? m.model) === m.model;

/** Model mix while a spike runs, and how much the spike adds to the total call volume. */
function spikeMix(span: Span): { sampler: WeightedSampler<CatalogModel>; boost: number } {
  const weights = CATALOG.map((m) => m.weight * (hits(span, m) ? SPIKE_FACTOR : 1));
  const base = CATALOG.reduce((a, m) => a + m.weight, 0);
  return { sampler: new WeightedSampler(CATALOG, weights), boost: weights.reduce((a, w) => a + w, 0) / base };
}

/**
 * Heavy-tailed activity (log-normal per user, times the plan's appetite), and a user only calls
 * between sign-up and cancellation. A few rejected draws fall back to an anonymous call.
 */
function userPicker(opts: DemoOptions, plan: DemoPlan): (t: number, rng: Rng) => string | null {
  if (plan.users.length === 0) return () => null;
  const subs = new Map(plan.subscriptions.map((s) => [s.user_id, s]));
  const appetite = new Map<string, number>(PLANS.map((p) => [p.plan, p.activity]));
  const weights = plan.users.map((u) => {
    const s = subs.get(u);
    return new Rng(`${opts.seed}|user|${u}`).logNormal(1, 1.3) * (appetite.get(s?.plan ?? '') ?? 1);
  });
  const sampler = new WeightedSampler(plan.users, weights);
  return (t, rng) => {
    if (rng.chance(ANONYMOUS_SHARE)) return null;
    for (let attempt = 0; attempt < 8; attempt++) {
      const u = sampler.sample(rng);
      const s = subs.get(u);
      if (!s || (t >= s.started_at.getTime() && (s.canceled_at === null || t < s.canceled_at.getTime()))) return u;
    }
    return null;
  };
}

function failureLatency(code: ErrorCode, wouldBe: number, service: ServiceType, rng: Rng): number {
  switch (code) {
    case 'rate_limited':
      return rng.logNormal(120, 0.5);
    case 'invalid_request':
      return rng.logNormal(200, 0.5);
    case 'overloaded':
      return rng.logNormal(600, 0.6);
    case 'content_policy':
      // Prompts are screened up front; generated media is screened partway through.
      return service === 'content' ? rng.logNormal(500, 0.5) : wouldBe * rng.uniform(0.1, 0.4);
    case 'server_error':
      return wouldBe * rng.uniform(0.05, 0.6);
    case 'timeout':
      return CLIENT_TIMEOUT_MS[service] + rng.uniform(0, 50);
  }
}

const errorMixes = new Map<string, readonly WeightedError[]>();
function normalErrors(m: CatalogModel): readonly WeightedError[] {
  const key = `${m.provider}|${m.service}`;
  let mix = errorMixes.get(key);
  if (!mix) {
    mix = errorCodesFor(m.provider, m.service);
    errorMixes.set(key, mix);
  }
  return mix;
}

/**
 * Failed calls deliver nothing and are billed nothing, content included: providers do not charge
 * for 4xx/5xx answers. input_tokens still records the prompt that was sent; output_tokens,
 * images and video_seconds are 0.
 */
function makeRow(t: number, m: CatalogModel, user: string | null, outage: boolean, rng: Rng): DemoUsageRow {
  const failed = rng.chance(outage ? 1 - OUTAGE_SUCCESS_RATE : ERROR_RATE[m.provider]);
  const code = failed ? rng.pick(outage ? OUTAGE_ERRORS : normalErrors(m)).code : null;
  const row: DemoUsageRow = {
    created_at: new Date(t),
    user_id: user,
    provider: m.provider,
    service_type: m.service,
    model: m.model,
    input_tokens: null,
    output_tokens: null,
    images: null,
    video_seconds: null,
    cost_usd: 0,
    latency_ms: 0,
    success: !failed,
    error_code: code,
  };
  let latency: number;
  let cost: number;
  if (m.service === 'content') {
    const s = CONTENT_SHAPE;
    const input = Math.round(clamp(rng.logNormal(s.inputMedian, s.inputSigma), s.inputMin, s.inputMax));
    const output = Math.round(clamp(rng.logNormal(s.outputMedian, s.outputSigma), s.outputMin, s.outputMax));
    const throughput = m.tokensPerSecond * rng.logNormal(1, 0.2);
    latency = rng.logNormal(m.ttftMedianMs, 0.35) + (output / throughput) * 1000;
    cost = costOf(m.model, { inputTokens: input, outputTokens: output });
    row.input_tokens = input;
    row.output_tokens = failed ? 0 : output;
  } else if (m.service === 'images') {
    const count = rng.pick(IMAGE_COUNTS).count;
    const tier = rng.pick(m.tiers).name;
    latency = rng.logNormal(m.latencyMedianMs, 0.3) * (1 + 0.3 * (count - 1));
    cost = costOf(m.model, { images: count, tier });
    row.images = failed ? 0 : count;
  } else {
    const seconds = rng.pick(m.durations).seconds;
    const tier = rng.pick(m.tiers).name;
    latency = rng.logNormal(m.latencyMedianMs, 0.25) * (seconds / 5) ** 0.8;
    cost = costOf(m.model, { videoSeconds: seconds, tier });
    row.video_seconds = failed ? 0 : seconds;
  }
  const [lo, hi] = LATENCY_BOUNDS[m.service];
  latency = clamp(latency, lo, hi);
  if (code !== null) latency = failureLatency(code, latency, m.service, rng);
  row.latency_ms = Math.max(1, Math.round(latency));
  row.cost_usd = failed ? 0 : cost;
  return row;
}

/**
 * Rows in chronological order over [now - days, now). Hour by hour: a Poisson count from the
 * weekly and diurnal shape (times a small per-day wobble), uniform times inside the hour, then
 * user, model, units, outcome and latency per row.
 */
export function* generateUsage(opts: DemoOptions, plan: DemoPlan): Generator<DemoUsageRow> {
  validate(opts);
  const end = opts.now.getTime();
  const start = end - opts.days * DAY_MS;
  const rng = new Rng(`${opts.seed}|usage`);
  const pickUser = userPicker(opts, plan);
  const normalMix = new WeightedSampler(
    CATALOG,
    CATALOG.map((m) => m.weight),
  );
  const outages = plan.incidents.filter((i) => i.kind === 'provider_outage').map(toSpan);
  const spikes = plan.incidents
    .filter((i) => i.kind === 'cost_spike')
    .map((i) => ({ span: toSpan(i), ...spikeMix(toSpan(i)) }));
  const perHour = opts.rowsPerDay / WEEK_MEAN / 24;

  let day = Number.NaN;
  let dayFactor = 1;
  for (let h0 = Math.floor(start / HOUR_MS) * HOUR_MS; h0 < end; h0 += HOUR_MS) {
    const a = Math.ceil(Math.max(h0, start));
    const b = Math.min(h0 + HOUR_MS, end);
    const d = Math.floor(h0 / DAY_MS) * DAY_MS;
    if (d !== day) {
      day = d;
      const weekday = new Date(d).getUTCDay();
      // Its own stream per day, so the wobble does not depend on how many rows came before.
      dayFactor =
        (weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1) * new Rng(`${opts.seed}|day|${d}`).logNormal(1, 0.05);
    }
    const spike = spikes.find((s) => h0 >= s.span.start && h0 < s.span.end);
    const hour = (h0 - d) / HOUR_MS;
    const lambda = perHour * dayFactor * (DIURNAL[hour] as number) * ((b - a) / HOUR_MS) * (spike?.boost ?? 1);
    const n = rng.poisson(lambda);
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) times[i] = a + Math.floor(rng.next() * (b - a));
    times.sort();
    const mix = spike?.sampler ?? normalMix;
    for (const t of times) {
      const m = mix.sample(rng);
      const outage = outages.some((o) => t >= o.start && t < o.end && hits(o, m));
      yield makeRow(t, m, pickUser(t, rng), outage, rng);
    }
  }
}
