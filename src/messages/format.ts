/**
 * The one formatter for every number, unit and sign pulsebot shows people: Slack, email (HTML and
 * plain text), the CLI, alerts, health notes and doctor lines, so the same figure reads the same
 * everywhere. Rules (docs in each function): en-US digits with thousands separators whatever the
 * server's locale; the true minus "−" (U+2212), never ASCII "-", and never "−0"; "–" (en dash)
 * for a missing or non-finite value. Deltas are written by ./format-delta.ts.
 */

const MINUS = '\u2212';
/** What a missing value (null, NaN, ±Infinity) reads as. */
const MISSING = '–';

type Value = number | null | undefined;

const finite = (x: Value): x is number => typeof x === 'number' && Number.isFinite(x);

const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(min: number, max: number, grouping = true): Intl.NumberFormat {
  const key = `${min}/${max}/${grouping}`;
  let f = formats.get(key);
  if (!f) {
    // Intl rounds the shortest decimal form half away from zero: 1.005 → "1.01", where toFixed says "1.00".
    f = new Intl.NumberFormat('en-US', {
      minimumFractionDigits: min,
      maximumFractionDigits: max,
      useGrouping: grouping,
    });
    formats.set(key, f);
  }
  return f;
}

/** Float noise off a product or quotient (0.0105 × 100 = 1.04999…), so it rounds as written. */
const clean = (x: number) => Number(x.toPrecision(15));

/** |x| rounded to `decimals`, as a number: the value the reader will see. */
const shown = (x: number, decimals: number) => Number(numberFormat(decimals, decimals, false).format(Math.abs(x)));

/** |x| as the reader sees it: its rounded value and its text with separators. Non-finite: NaN, "–". */
export function numberFormatted(x: number, decimals: number): { value: number; text: string } {
  if (!Number.isFinite(x)) return { value: Number.NaN, text: MISSING };
  const abs = Math.abs(clean(x));
  return { value: shown(abs, decimals), text: numberFormat(decimals, decimals).format(abs) };
}

/** A magnitude with its sign: "−" when negative and not shown as zero; `plus` for positive. */
function signed(x: number, text: string, decimals: number, plus = ''): string {
  if (shown(x, decimals) === 0) return text;
  return `${x < 0 ? MINUS : plus}${text}`;
}

/** A plain number: 58144 → "58,144", −3.25 with 1 decimal → "−3.3" (rounded half away from zero). */
export function formatNumber(x: Value, decimals = 0): string {
  if (!finite(x)) return MISSING;
  return signed(x, numberFormat(decimals, decimals).format(Math.abs(clean(x))), decimals);
}

/** A count, rounded: 58144 → "58,144". */
export const formatCount = (x: Value): string => formatNumber(x, 0);

/** A fraction as a percentage: 0.9734 → "97.3%" (one decimal unless told). */
export function formatRate(x: Value, decimals = 1): string {
  if (!finite(x)) return MISSING;
  return `${formatNumber(clean(x * 100), decimals)}%`;
}

/** A relative change, always signed, one decimal: 0.042 → "+4.2%", −0.38 → "−38.0%", 0 → "0.0%". */
export function formatSignedPercent(ratio: Value): string {
  if (!finite(ratio)) return MISSING;
  const pct = clean(ratio * 100);
  return `${signed(pct, numberFormat(1, 1).format(Math.abs(pct)), 1, '+')}%`;
}

/** Percentage points, one decimal, always signed: "+1.2 pp", "−0.3 pp", "0.0 pp". */
export function formatSignedPp(points: Value): string {
  if (!finite(points)) return MISSING;
  return `${signed(points, numberFormat(1, 1).format(Math.abs(clean(points))), 1, '+')} pp`;
}

/** A multiple: 1.5 → "1.5×", 1.888 → "1.89×", 2 → "2×". */
export function formatTimes(r: Value): string {
  if (!finite(r)) return MISSING;
  return `${signed(r, numberFormat(0, 2).format(Math.abs(r)), 2)}×`;
}

// ── Money ───────────────────────────────────────────────────────────────────────────────────

/**
 * Dollars with the decimals the size calls for: below $1, two significant digits with 2 to 4
 * decimals ("$0.25", "$0.042", "$0.0042"; below $0.0001 "<$0.0001"); below $10,000 cents
 * ("$1,234.56"); from $10,000 whole dollars ("$12,346"). The band is chosen on the rounded
 * value, so $9,999.995 reads "$10,000", never "$10,000.00".
 */
export function formatUsd(x: Value): string {
  if (!finite(x)) return MISSING;
  const abs = Math.abs(x);
  if (abs === 0) return '$0.00';
  let text: string;
  if (abs < 1) {
    const decimals = Math.min(4, Math.max(2, 1 - Math.floor(Math.log10(abs))));
    if (shown(abs, 4) === 0) return x < 0 ? `> ${MINUS}$0.0001` : '<$0.0001';
    text = numberFormat(2, decimals).format(abs);
  } else {
    text = shown(abs, 2) < 10_000 ? numberFormat(2, 2).format(abs) : numberFormat(0, 0).format(abs);
  }
  return `${x < 0 ? MINUS : ''}$${text}`;
}

/** A signed amount: "+$1.20", "−$0.40", "$0.00". */
export function formatSignedUsd(x: Value): string {
  if (!finite(x)) return MISSING;
  const text = formatUsd(x);
  return x > 0 && text !== '$0.00' ? `+${text}` : text;
}

// ── Latency ─────────────────────────────────────────────────────────────────────────────────

type LatencyUnit = 'ms' | 's' | 'min';

/**
 * The unit a latency reads best in: ms below 1 s, seconds below 2 min, minutes above. Decided on
 * the rounded figure, so 999.6 ms is "1.0 s" (not "1,000 ms") and 119,990 ms "2.0 min" (not "120.0 s").
 */
function latencyUnit(ms: number): LatencyUnit {
  const abs = Math.abs(ms);
  if (shown(abs, 0) < 1000) return 'ms';
  if (shown(abs / 1000, 1) < 120) return 's';
  return 'min';
}

function inUnit(ms: number, unit: LatencyUnit): string {
  switch (unit) {
    case 'ms':
      return `${formatNumber(ms, 0)} ms`;
    case 's':
      return `${formatNumber(ms / 1000, 1)} s`;
    case 'min':
      return `${formatNumber(ms / 60_000, 1)} min`;
  }
}

/** A latency in the unit its size calls for: 830 → "830 ms", 7_775 → "7.8 s", 144_265 → "2.4 min". */
export function formatMs(x: Value): string {
  if (!finite(x)) return MISSING;
  return inUnit(x, latencyUnit(x));
}

/**
 * A formatter for latencies shown together (a table column, "p95 X vs Y"): one unit for all, the
 * one the largest calls for, stepped down until the smallest reads at least 1 in it, so a column
 * of 7.7 s to 145 s reads "7.7 s" to "145.0 s" rather than "0.1 min" to "2.4 min". Missing values
 * are ignored for the choice; without any, values are formatted one by one.
 */
export function latencyFormat(values: Iterable<Value>): (x: Value) => string {
  const sizes = [...values].filter(finite).map((v) => Math.abs(v));
  if (sizes.length === 0) return formatMs;
  const smallest = Math.min(...sizes);
  let unit = latencyUnit(Math.max(...sizes));
  if (unit === 'min' && smallest < 60_000) unit = 's';
  if (unit === 's' && smallest < 1_000) unit = 'ms';
  return (x) => (finite(x) ? inUnit(x, unit) : MISSING);
}

// ── Time spans ──────────────────────────────────────────────────────────────────────────────

/**
 * How old something is, from minutes: "under 1 min", "12 min", "1.5 h", "2.0 days". Bands are
 * chosen on the rounded figure ("2.0 h", never "120 min").
 */
export function formatAge(minutes: Value): string {
  if (!finite(minutes)) return MISSING;
  const m = Math.max(0, minutes);
  if (m < 1) return 'under 1 min';
  if (shown(m, 0) < 120) return `${formatNumber(m, 0)} min`;
  if (shown(m / 60, 1) < 48) return `${formatNumber(m / 60, 1)} h`;
  return `${formatNumber(m / 1440, 1)} days`;
}

/**
 * How long something lasted or lasts (a rule's window, an alert firing, a silence): whole units,
 * the larger one first: "45 s", "42 min", "3 h 5 min", "2 days 4 h".
 */
export function formatDuration(ms: Value): string {
  if (!finite(ms)) return MISSING;
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const days = `${formatCount(Math.floor(h / 24))} days`;
  return h % 24 === 0 ? days : `${days} ${h % 24} h`;
}
