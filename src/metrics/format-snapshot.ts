import { formatDelta } from '../messages/format-delta.js';
import {
  formatAge,
  formatCount as n,
  formatNumber,
  formatRate,
  formatSignedUsd,
  formatUsd as usd,
  latencyFormat,
} from '../messages/format.js';
import { dataQualityProblems } from './data-quality.js';
import type { Delta } from './deltas.js';
import type { KpiDeltas, Kpis } from './kpis.js';
import { attributionDeltas, errorLabel, type Snapshot } from './snapshot.js';

/** The snapshot as a readable table for a terminal (`pulsebot snapshot` without --json). */
const pct = (x: number | null) => formatRate(x);
const d = (x: Delta | undefined) => (x ? formatDelta(x) : '');
// Avg and p95 latency share the table's value column, so they share a unit.
const kpiLatency = (k: Kpis) => latencyFormat([k.avgLatencyMs, k.p95LatencyMs]);
const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const lpad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

const ROWS: Array<[string, (k: Kpis) => string, keyof KpiDeltas | null]> = [
  ['requests', (k) => n(k.requests), 'requests'],
  ['success rate', (k) => pct(k.successRate), 'successRate'],
  ['cost', (k) => usd(k.costUsd), 'costUsd'],
  ['active users', (k) => n(k.activeUsers), 'activeUsers'],
  ['avg latency', (k) => kpiLatency(k)(k.avgLatencyMs), 'avgLatencyMs'],
  ['p95 latency', (k) => kpiLatency(k)(k.p95LatencyMs), 'p95LatencyMs'],
  ['tokens', (k) => n(k.tokens), null],
  ['images', (k) => n(k.images), null],
  ['video seconds', (k) => n(k.videoSeconds), null],
];

/** "anthropic took 3.1 pp, openai gave back 0.2 pp": what each segment did to the success rate. */
const rateParts = (cs: ReadonlyArray<{ key: string; change: number }>) =>
  cs
    .slice(0, 2)
    .map((c) => `${c.key} ${c.change < 0 ? 'took' : 'gave back'} ${formatNumber(Math.abs(c.change), 1)} pp`)
    .join(', ');

export function formatSnapshot(s: Snapshot): string {
  const out: string[] = [];
  const score = s.health.score === null ? 'n/a' : `${s.health.score}/100`;
  out.push(`${s.report.name} report · ${s.period.label} (${s.report.timeZone}, ${s.period.hours} h) · health ${score}`);
  out.push(`${s.verdict.status === 'normal' ? '✅' : '🔴'} ${s.verdict.headline}`);
  for (const item of s.verdict.items) out.push(`  • ${item.text}`);
  out.push('');
  const vsWeek = s.deltas.vsSameWeekdayLastWeek;
  out.push(
    `${pad('', 15)}${lpad(s.period.label, 14)}  ${lpad(`vs ${s.previous.label}`, 18)}${vsWeek ? `  ${lpad(`vs ${s.sameWeekdayLastWeek!.label}`, 18)}` : ''}`,
  );
  for (const [label, value, key] of ROWS) {
    const a = key ? d(s.deltas.vsPrevious[key]) : '';
    const b = key && vsWeek ? d(vsWeek[key]) : '';
    out.push(`${pad(label, 15)}${lpad(value(s.kpis.current), 14)}  ${lpad(a, 18)}${vsWeek ? `  ${lpad(b, 18)}` : ''}`);
  }
  const cost = s.attribution.cost;
  const { deltas: against, weekAgo } = attributionDeltas(s);
  const label = weekAgo && s.sameWeekdayLastWeek ? s.sameWeekdayLastWeek.label : s.previous.label;
  if (cost.byModel.length && against.costUsd.kind === 'relative') {
    out.push(
      `cost ${d(against.costUsd)} vs ${label}: ${cost.byModel
        .slice(0, 3)
        .map(
          (c) =>
            `${c.key} ${formatSignedUsd(c.change)}${c.shareOfChange !== null ? ` (${formatRate(c.shareOfChange, 0)})` : ''}`,
        )
        .join(', ')}`,
    );
  }
  const rate = s.attribution.successRate;
  if (rate && Math.abs(rate.totalChange) >= 0.05 && rate.byErrorCode?.length) {
    out.push(
      `success rate ${d(against.successRate)} vs ${label}: by provider ${rateParts(rate.byProvider)}; by error code ${rateParts(rate.byErrorCode)}`,
    );
  }
  for (const f of s.anomalies.flags) {
    out.push(
      `anomaly: ${f.kpi} ${f.direction === 'high' ? 'above' : 'below'} the same weekday's usual (${formatNumber(f.deviations, 1)} σ from a mean of ${f.kpi === 'successRate' ? pct(f.mean) : f.kpi === 'costUsd' ? usd(f.mean) : f.kpi.endsWith('LatencyMs') ? latencyFormat([f.mean])(f.mean) : n(f.mean)})`,
    );
  }
  out.push('');
  out.push(`health ${score}`);
  for (const c of s.health.components) {
    const points =
      c.score === null ? 'left out' : `${n(c.score)} × ${formatNumber(c.weight)} → ${formatNumber(c.contribution, 1)}`;
    out.push(`  ${pad(c.key, 13)} ${pad(points, 20)} ${c.note} (target: ${c.target})`);
  }
  out.push('');
  out.push('operations (provider / service)      requests        cost   success      p95   vs previous');
  const p95 = latencyFormat(s.operations.map((o) => o.p95LatencyMs));
  for (const o of s.operations) {
    out.push(
      `  ${pad(`${o.provider} / ${o.serviceType}`, 32)} ${lpad(n(o.requests), 10)} ${lpad(usd(o.costUsd), 11)} ${lpad(pct(o.successRate), 9)} ${lpad(p95(o.p95LatencyMs), 8)}   cost ${d(o.deltas.costUsd)}, success ${d(o.deltas.successRate)}`,
    );
  }
  out.push('');
  out.push('models by cost                          requests        cost   $/request   users');
  const models = s.models.other
    ? [
        ...s.models.top,
        { ...s.models.other, model: `other (${n(s.models.other.models)} models)`, provider: '', serviceType: '' },
      ]
    : s.models.top;
  for (const m of models) {
    const name = m.provider ? `${m.provider}/${m.model}` : m.model;
    out.push(
      `  ${pad(name.length > 34 ? `${name.slice(0, 33)}…` : name, 34)} ${lpad(n(m.requests), 10)} ${lpad(usd(m.costUsd), 11)} ${lpad(usd(m.costPerRequest), 11)} ${lpad(m.uniqueUsers === null ? '–' : n(m.uniqueUsers), 7)}`,
    );
  }
  const u = s.users;
  out.push('');
  out.push(
    `users: ${n(u.active)} active (${n(u.new)} new, ${n(u.returning)} returning${u.unsubscribed ? `, ${n(u.unsubscribed)} without a subscription` : ''}); top by cost: ${u.topUsers.map((t) => `${t.user} ${usd(t.costUsd)}`).join(', ') || '–'}`,
  );
  out.push(
    `  by plan: ${u.byPlan.map((p) => `${p.plan} ${usd(p.costUsd)} / ${n(p.requests)} calls`).join(', ') || '–'}`,
  );
  const f = s.finance;
  out.push(
    `finance: MRR ${usd(f.mrrUsd)} (${n(f.activeSubscriptions)} subscriptions); period revenue ${usd(f.periodRevenueUsd)}, cost ${usd(f.periodCostUsd)}, margin ${pct(f.grossMarginRate)}`,
  );
  out.push(
    `  ${f.monthToDate.month} to date ${usd(f.monthToDate.costUsd)}; month-end forecast ${usd(f.forecast.monthEndCostUsd)}${f.budget ? ` vs budget ${usd(f.budget.monthlyUsd)} (${pct(f.budget.forecastVsBudget)})` : ''}`,
  );
  if (s.topErrors.length) {
    out.push('');
    out.push(`top errors: ${s.topErrors.map((e) => `${errorLabel(e)} ${n(e.failures)} (${pct(e.share)})`).join(', ')}`);
  }
  const t = s.technical;
  const ms = latencyFormat([t.p50LatencyMs, t.p95LatencyMs, t.p99LatencyMs]);
  out.push(
    `latency: p50 ${ms(t.p50LatencyMs)}, p95 ${ms(t.p95LatencyMs)}, p99 ${ms(t.p99LatencyMs)}; error rate ${pct(t.errorRate)}`,
  );
  const q = s.dataQuality;
  const problems = dataQualityProblems(q, n).map((p) => p.text);
  out.push(
    `data quality: ${problems.length ? problems.join('; ') : 'no bad rows'}; newest row ${q.newestRowAgeMinutes === null ? 'none' : `${formatAge(q.newestRowAgeMinutes)} old`}, last refresh ${q.lastRefreshAgeMinutes === null ? 'never' : `${formatAge(q.lastRefreshAgeMinutes)} ago`}`,
  );
  return out.join('\n');
}
