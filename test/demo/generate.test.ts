import { describe, it, expect } from 'vitest';
import { costOf } from '../../src/demo/catalog.js';
import { generateUsage, planDemo, type DemoOptions, type DemoUsageRow } from '../../src/demo/generate.js';
import { Rng } from '../../src/demo/random.js';

// Expected values below are written out by hand from shared/PRICES.md, not read from the catalog.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ALLOWED_TRIPLES = new Set([
  'openai|content|gpt-4o',
  'openai|content|gpt-4o-mini',
  'openai|content|gpt-4.1',
  'openai|content|gpt-4.1-mini',
  'anthropic|content|claude-sonnet-4',
  'anthropic|content|claude-3-5-haiku',
  'anthropic|content|claude-opus-4',
  'flux|images|flux-pro-1.1',
  'flux|images|flux-pro-1.1-ultra',
  'flux|images|flux-dev',
  'ideogram|images|ideogram-v2',
  'ideogram|images|ideogram-v2-turbo',
  'ideogram|images|ideogram-v3',
  'openai|images|gpt-image-1',
  'openai|images|dall-e-3',
  'luma|video|ray-2',
  'luma|video|ray-flash-2',
  'runway|video|gen-3-alpha-turbo',
  'runway|video|gen-4-turbo',
  'runway|video|gen-3-alpha',
]);

// USD per 1M input / output tokens.
const TOKEN_PRICES: Record<string, [number, number]> = {
  'gpt-4o': [2.5, 10],
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'claude-sonnet-4': [3, 15],
  'claude-3-5-haiku': [0.8, 4],
  'claude-opus-4': [15, 75],
};
// USD per image, any allowed quality tier.
const IMAGE_PRICES: Record<string, number[]> = {
  'gpt-image-1': [0.011, 0.042, 0.167],
  'dall-e-3': [0.04, 0.08],
  'flux-pro-1.1': [0.04],
  'flux-pro-1.1-ultra': [0.06],
  'flux-dev': [0.025],
  'ideogram-v2': [0.08],
  'ideogram-v2-turbo': [0.05],
  'ideogram-v3': [0.03, 0.06, 0.09],
};
// USD per second of video; luma: 540p and 1080p ends of the PRICES.md range, flash a third.
const VIDEO_PRICES: Record<string, number[]> = {
  'gen-3-alpha-turbo': [0.05],
  'gen-4-turbo': [0.05],
  'gen-3-alpha': [0.1],
  'ray-2': [0.06, 0.28],
  'ray-flash-2': [0.02, 0.28 / 3],
};

const NOW = new Date('2025-06-18T10:17:00Z'); // a Wednesday, mid-hour on purpose
const OPTS: DemoOptions = { now: NOW, days: 28, rowsPerDay: 2000, seed: 'test' };
const PLAN = planDemo(OPTS);
const ROWS: DemoUsageRow[] = [...generateUsage(OPTS, PLAN)];

const dayKey = (d: Date): string => d.toISOString().slice(0, 10);
const successRate = (rows: DemoUsageRow[]): number => rows.filter((r) => r.success).length / rows.length;
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))] as number;
};
const take = <T>(gen: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  for (const x of gen) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
};

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Rng('seed');
    const b = new Rng('seed');
    const c = new Rng('seed2');
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws integers inside inclusive bounds, hitting both ends', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('makes v4-shaped, distinct uuids', () => {
    const r = new Rng('u');
    const ids = Array.from({ length: 1000 }, () => r.uuid());
    expect(ids.every((id) => UUID_V4.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(1000);
  });

  it('picks in proportion to weight and centres logNormal on its median', () => {
    const r = new Rng('w');
    const items = [
      { weight: 1, v: 'a' },
      { weight: 3, v: 'b' },
    ];
    let a = 0;
    for (let i = 0; i < 20_000; i++) if (r.pick(items).v === 'a') a++;
    expect(a / 20_000).toBeGreaterThan(0.23);
    expect(a / 20_000).toBeLessThan(0.27);
    const xs = Array.from({ length: 20_000 }, () => r.logNormal(500, 0.5));
    expect(quantile(xs, 0.5)).toBeGreaterThan(480);
    expect(quantile(xs, 0.5)).toBeLessThan(520);
  });
});

describe('costOf', () => {
  it('prices tokens per million', () => {
    expect(costOf('gpt-4o', { inputTokens: 1000, outputTokens: 500 })).toBeCloseTo(0.0075, 9); // 0.0025 + 0.005
    expect(costOf('claude-opus-4', { inputTokens: 2000, outputTokens: 1000 })).toBeCloseTo(0.105, 9); // 0.03 + 0.075
    expect(costOf('claude-3-5-haiku', { inputTokens: 1500, outputTokens: 300 })).toBeCloseTo(0.0024, 9); // 0.0012 + 0.0012
    expect(costOf('gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(0.15, 9);
    expect(costOf('gpt-4.1-mini', { inputTokens: 123, outputTokens: 45 })).toBeCloseTo(0.000121, 9); // 0.0000492 + 0.000072 rounded
  });

  it('prices images per image and tier', () => {
    expect(costOf('gpt-image-1', { images: 2, tier: 'high' })).toBeCloseTo(0.334, 9);
    expect(costOf('gpt-image-1', { images: 1, tier: 'low' })).toBeCloseTo(0.011, 9);
    expect(costOf('dall-e-3', { images: 1, tier: 'hd' })).toBeCloseTo(0.08, 9);
    expect(costOf('flux-dev', { images: 4 })).toBeCloseTo(0.1, 9);
    expect(costOf('ideogram-v2-turbo', { images: 3 })).toBeCloseTo(0.15, 9);
  });

  it('prices video per second', () => {
    expect(costOf('gen-3-alpha', { videoSeconds: 10 })).toBeCloseTo(1.0, 9);
    expect(costOf('gen-4-turbo', { videoSeconds: 5 })).toBeCloseTo(0.25, 9);
    expect(costOf('ray-2', { videoSeconds: 5, tier: '540p' })).toBeCloseTo(0.3, 9);
    expect(costOf('ray-2', { videoSeconds: 5, tier: '1080p' })).toBeCloseTo(1.4, 9);
    expect(costOf('ray-flash-2', { videoSeconds: 9, tier: '540p' })).toBeCloseTo(0.18, 9);
  });

  it('refuses units of the wrong service, unknown models and tiers', () => {
    expect(() => costOf('gpt-4o', { images: 1 })).toThrow();
    expect(() => costOf('flux-dev', { inputTokens: 1, outputTokens: 1 })).toThrow();
    expect(() => costOf('gpt-5-imaginary', { inputTokens: 1, outputTokens: 1 })).toThrow();
    expect(() => costOf('dall-e-3', { images: 1, tier: 'ultra' })).toThrow();
    expect(() => costOf('gen-3-alpha', { videoSeconds: -5 })).toThrow();
  });
});

describe('planDemo', () => {
  it('scales users with traffic, with a floor of 50', () => {
    expect(PLAN.users).toHaveLength(300);
    expect(planDemo({ ...OPTS, rowsPerDay: 10 }).users).toHaveLength(50);
    expect(new Set(PLAN.users).size).toBe(300);
    expect(PLAN.users.every((u) => UUID_V4.test(u))).toBe(true);
  });

  it('gives every user one consistent subscription', () => {
    const price: Record<string, number> = { free: 0, starter: 19, pro: 49, team: 199 };
    expect(PLAN.subscriptions.map((s) => s.user_id)).toEqual(PLAN.users);
    for (const s of PLAN.subscriptions) {
      expect(s.monthly_amount_usd).toBe(price[s.plan]);
      expect(s.started_at.getTime()).toBeLessThanOrEqual(NOW.getTime());
      if (s.status === 'canceled') {
        expect(s.canceled_at).not.toBeNull();
        expect(s.canceled_at!.getTime()).toBeGreaterThan(s.started_at.getTime());
        expect(s.canceled_at!.getTime()).toBeLessThanOrEqual(NOW.getTime());
      } else {
        expect(s.canceled_at).toBeNull();
      }
      if (s.status === 'trialing') expect(NOW.getTime() - s.started_at.getTime()).toBeLessThanOrEqual(14 * DAY);
    }
    const count = (st: string): number => PLAN.subscriptions.filter((s) => s.status === st).length;
    expect(count('active') / 300).toBeGreaterThan(0.6);
    expect(count('canceled')).toBeGreaterThan(0);
    expect(count('trialing')).toBeGreaterThan(0);
  });

  it('places one outage and one cost spike inside the window, none in the last 48 h', () => {
    expect(PLAN.incidents.map((i) => i.kind).sort()).toEqual(['cost_spike', 'provider_outage']);
    for (const i of PLAN.incidents) {
      expect(i.start.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 28 * DAY);
      expect(i.end.getTime()).toBeLessThanOrEqual(NOW.getTime() - 48 * HOUR);
      expect(i.end.getTime()).toBeGreaterThan(i.start.getTime());
    }
  });

  it('never puts an incident in the last 48 h, and skips them when the window is too short', () => {
    for (let days = 1; days <= 20; days++) {
      for (const hour of [0, 7, 13, 23]) {
        const now = new Date(Date.UTC(2025, 2, 30, hour, 41));
        for (const i of planDemo({ now, days, rowsPerDay: 100, seed: `s${days}` }).incidents) {
          expect(i.end.getTime()).toBeLessThanOrEqual(now.getTime() - 48 * HOUR);
          expect(i.start.getTime()).toBeGreaterThanOrEqual(now.getTime() - days * DAY);
        }
      }
    }
    expect(planDemo({ ...OPTS, days: 2 }).incidents).toEqual([]);
    expect(planDemo({ ...OPTS, days: 3 }).incidents).toEqual([]);
  });
});

describe('generateUsage', () => {
  it('is deterministic for the same options and differs for another seed', () => {
    const again = [...generateUsage(OPTS, planDemo(OPTS))];
    expect(again.length).toBe(ROWS.length);
    expect(again.slice(0, 200)).toEqual(ROWS.slice(0, 200));
    expect(again.slice(-200)).toEqual(ROWS.slice(-200));
    const sum = (rs: DemoUsageRow[]): number => rs.reduce((a, r) => a + r.cost_usd + r.latency_ms, 0);
    expect(sum(again)).toBe(sum(ROWS));

    const other = { ...OPTS, seed: 'other' };
    const first = take(generateUsage(other, planDemo(other)), 200);
    expect(first).not.toEqual(ROWS.slice(0, 200));
  });

  it('stays inside [now - days, now] in chronological order', () => {
    const start = NOW.getTime() - 28 * DAY;
    let prev = -Infinity;
    for (const r of ROWS) {
      const t = r.created_at.getTime();
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(NOW.getTime());
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    const odd = { now: new Date('2025-01-05T23:59:59.999Z'), days: 1.37, rowsPerDay: 3000, seed: 9 };
    for (const r of generateUsage(odd, planDemo(odd))) {
      expect(r.created_at.getTime()).toBeGreaterThanOrEqual(odd.now.getTime() - 1.37 * DAY);
      expect(r.created_at.getTime()).toBeLessThanOrEqual(odd.now.getTime());
    }
  });

  it('only pairs models with providers that sell them', () => {
    const seen = new Set(ROWS.map((r) => `${r.provider}|${r.service_type}|${r.model}`));
    for (const triple of seen) expect(ALLOWED_TRIPLES.has(triple)).toBe(true);
    expect(seen.size).toBe(ALLOWED_TRIPLES.size); // every model shows up at this volume
  });

  it('bills successful calls at list price and failed calls nothing', () => {
    const near = (x: number, ys: number[]): boolean => ys.some((y) => Math.abs(x - y) < 1e-6);
    for (const r of ROWS) {
      expect(r.cost_usd).toBeGreaterThanOrEqual(0);
      expect(Math.round(r.cost_usd * 1e6) / 1e6).toBe(r.cost_usd);
      expect(r.success).toBe(r.error_code === null);
      if (!r.success) {
        expect(r.cost_usd).toBe(0);
        continue;
      }
      if (r.service_type === 'content') {
        const [pin, pout] = TOKEN_PRICES[r.model]!;
        expect(r.images).toBeNull();
        expect(near(r.cost_usd, [(r.input_tokens! * pin + r.output_tokens! * pout) / 1e6])).toBe(true);
      } else if (r.service_type === 'images') {
        expect(r.input_tokens).toBeNull();
        expect([1, 2, 3, 4]).toContain(r.images);
        expect(
          near(
            r.cost_usd,
            IMAGE_PRICES[r.model]!.map((p) => p * r.images!),
          ),
        ).toBe(true);
      } else {
        expect(r.images).toBeNull();
        expect(r.provider === 'luma' ? [5, 9] : [5, 10]).toContain(r.video_seconds);
        expect(
          near(
            r.cost_usd,
            VIDEO_PRICES[r.model]!.map((p) => p * r.video_seconds!),
          ),
        ).toBe(true);
      }
    }
  });

  it('follows the weekly shape: ~rowsPerDay on average, weekends ~60% of weekdays', () => {
    expect(ROWS.length).toBeGreaterThan(28 * 2000 * 0.92);
    expect(ROWS.length).toBeLessThan(28 * 2000 * 1.08);
    const perDay = new Map<string, number>();
    for (const r of ROWS) perDay.set(dayKey(r.created_at), (perDay.get(dayKey(r.created_at)) ?? 0) + 1);
    // Whole days only: the first and last are partial.
    const days = [...perDay].filter(([d]) => d !== '2025-05-21' && d !== '2025-06-18');
    expect(days).toHaveLength(27);
    const weekend = days.filter(([d]) => [0, 6].includes(new Date(d).getUTCDay()));
    const weekday = days.filter(([d]) => ![0, 6].includes(new Date(d).getUTCDay()));
    // A week of 5 weekdays at w and 2 weekend days at 0.6 w averages 2000: w = 14000 / 6.2.
    const w = 14000 / 6.2;
    for (const [, n] of weekday) expect(Math.abs(n / w - 1)).toBeLessThan(0.25);
    for (const [, n] of weekend) expect(Math.abs(n / (0.6 * w) - 1)).toBeLessThan(0.25);
    const mean = (xs: [string, number][]): number => xs.reduce((a, [, n]) => a + n, 0) / xs.length;
    const ratio = mean(weekend) / mean(weekday);
    expect(ratio).toBeGreaterThan(0.55);
    expect(ratio).toBeLessThan(0.65);
  });

  it('is quiet at night and busy in the afternoon (UTC)', () => {
    const byHour = new Array<number>(24).fill(0);
    for (const r of ROWS) byHour[r.created_at.getUTCHours()]!++;
    const night = byHour.slice(1, 5).reduce((a, b) => a + b, 0);
    const afternoon = byHour.slice(13, 17).reduce((a, b) => a + b, 0);
    expect(afternoon / night).toBeGreaterThan(2.5);
  });

  it('succeeds 94–99.5% overall, and collapses for the outage provider in the outage hour', () => {
    const overall = successRate(ROWS);
    expect(overall).toBeGreaterThan(0.94);
    expect(overall).toBeLessThan(0.995);

    const outage = PLAN.incidents.find((i) => i.kind === 'provider_outage')!;
    const inHour = ROWS.filter((r) => r.created_at >= outage.start && r.created_at < outage.end);
    const hit = inHour.filter((r) => r.provider === 'anthropic');
    expect(hit.length).toBeGreaterThan(10);
    expect(successRate(hit)).toBeLessThan(0.5);
    expect(successRate(inHour)).toBeLessThan(overall - 0.05);
    expect(successRate(inHour.filter((r) => r.provider !== 'anthropic'))).toBeGreaterThan(0.9);
    expect(hit.filter((r) => !r.success).every((r) => ['overloaded', 'server_error'].includes(r.error_code!))).toBe(
      true,
    );

    const recent = ROWS.filter((r) => r.created_at.getTime() >= NOW.getTime() - 48 * HOUR);
    expect(successRate(recent)).toBeGreaterThan(0.94);
    expect(successRate(recent.filter((r) => r.provider === 'anthropic'))).toBeGreaterThan(0.9);
  });

  it('roughly triples runway volume on the spike day', () => {
    const spike = PLAN.incidents.find((i) => i.kind === 'cost_spike')!;
    const key = dayKey(spike.start);
    const runwayShare = (rs: DemoUsageRow[]): number => rs.filter((r) => r.provider === 'runway').length / rs.length;
    const onDay = ROWS.filter((r) => dayKey(r.created_at) === key);
    const others = ROWS.filter((r) => dayKey(r.created_at) !== key);
    const ratio = runwayShare(onDay) / runwayShare(others);
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(3.8);
  });

  it('has plausible latencies per service type, faster for failures', () => {
    const lat = (svc: string, ok: boolean): number[] =>
      ROWS.filter((r) => r.service_type === svc && r.success === ok).map((r) => r.latency_ms);
    expect(ROWS.every((r) => Number.isInteger(r.latency_ms) && r.latency_ms > 0)).toBe(true);
    const bands: Record<string, [number, number]> = {
      content: [400, 8_000], // PRICES.md: 0.4–8 s with long tails
      images: [4_000, 20_000],
      video: [30_000, 180_000],
    };
    for (const [svc, [lo, hi]] of Object.entries(bands)) {
      const ok = lat(svc, true);
      expect(quantile(ok, 0.5)).toBeGreaterThan(lo);
      expect(quantile(ok, 0.5)).toBeLessThan(hi);
      expect(quantile(ok, 0.05)).toBeGreaterThan(lo * 0.5);
      expect(quantile(ok, 0.95)).toBeLessThan(hi * 1.6);
      expect(quantile(lat(svc, false), 0.5)).toBeLessThan(quantile(ok, 0.5));
    }
  });

  it('has ~5% anonymous calls, heavy-tailed users, and no calls outside a subscription', () => {
    const anon = ROWS.filter((r) => r.user_id === null).length / ROWS.length;
    expect(anon).toBeGreaterThan(0.03);
    expect(anon).toBeLessThan(0.07);
    const subs = new Map(PLAN.subscriptions.map((s) => [s.user_id, s]));
    const perUser = new Map<string, number>();
    for (const r of ROWS) {
      if (r.user_id === null) continue;
      const s = subs.get(r.user_id)!;
      expect(s).toBeDefined();
      expect(r.created_at.getTime()).toBeGreaterThanOrEqual(s.started_at.getTime());
      if (s.canceled_at) expect(r.created_at.getTime()).toBeLessThan(s.canceled_at.getTime());
      perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + 1);
    }
    expect(perUser.size).toBeGreaterThan(150);
    const counts = [...perUser.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top3 = counts.slice(0, 3).reduce((a, b) => a + b, 0);
    expect(top3 / total).toBeGreaterThan(0.08); // 1% of users, far more than 1% of calls
    expect(quantile(counts, 0.5)).toBeLessThan(total / perUser.size); // median below mean
  });

  it('streams: a 3.6M-row configuration yields its first rows at once', () => {
    const big = { now: NOW, days: 90, rowsPerDay: 40_000, seed: 'big' };
    const t0 = performance.now();
    const first = take(generateUsage(big, planDemo(big)), 1000);
    expect(first).toHaveLength(1000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('yields nothing at zero traffic and rejects bad options', () => {
    const zero = { ...OPTS, rowsPerDay: 0 };
    expect([...generateUsage(zero, planDemo(zero))]).toEqual([]);
    expect(() => planDemo({ ...OPTS, days: 0 })).toThrow(RangeError);
    expect(() => planDemo({ ...OPTS, now: new Date('nope') })).toThrow(RangeError);
    expect(() => [...generateUsage({ ...OPTS, rowsPerDay: -1 }, PLAN)]).toThrow(RangeError);
  });
});
