import { renderPanels } from '../charts/panels.js';
import { renderChart } from '../render/renderer.js';
import { BUILTIN_CHARTS, type BuiltinChart, type PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { messageOf } from '../errors.js';
import { loadSnapshot } from '../metrics/load-snapshot.js';
import { rollupDays } from '../metrics/queries.js';
import { dailyLatencyByService } from '../metrics/queries-latency-series.js';
import { dailyTotals } from '../metrics/queries-series.js';
import {
  addDays,
  compareLocalDates,
  formatLocalDate,
  localDateOf,
  startOfLocalDay,
  type LocalDate,
} from '../metrics/zoned-time.js';
import type { DigestChart, DigestModel } from './digest-model.js';
import { planChart } from './digest-charts.js';

/** Days of history the trend charts show, ending with the report period. */
const TREND_DAYS = 30;

export interface BuildDigestOptions {
  report: string;
  date?: LocalDate;
  now: Date;
  late?: boolean;
}

const isBuiltin = (id: string): id is BuiltinChart => (BUILTIN_CHARTS as readonly string[]).includes(id);

/**
 * The IO edge of a digest: the snapshot, the 30-day series the trend charts need, and every
 * configured chart rendered to PNG. A chart or panel that fails is named in `failedCharts` and
 * the digest goes out without it.
 */
export async function buildDigestModel(
  sql: Sql,
  config: PulsebotConfig,
  opts: BuildDigestOptions,
): Promise<DigestModel> {
  const snapshot = await loadSnapshot(sql, config, {
    report: opts.report,
    ...(opts.date ? { date: opts.date } : {}),
    now: opts.now,
  });
  const report = config.reports[opts.report]!;
  const tz = report.timezone;
  const periodStart = new Date(snapshot.period.start);
  const periodEnd = new Date(snapshot.period.end);
  // The last local day of the period: the instant just before its end.
  const lastDay = localDateOf(new Date(periodEnd.getTime() - 1), tz);
  const monthStart: LocalDate = { ...lastDay, day: 1 };
  const trendStart = addDays(lastDay, -(TREND_DAYS - 1));
  const firstDay = [localDateOf(periodStart, tz), monthStart, trendStart].sort(compareLocalDates)[0]!;
  const range = { start: startOfLocalDay(firstDay, tz), end: periodEnd };

  const builtins = report.charts.filter(isBuiltin);
  const needsSeries = builtins.some(
    (c) => c === 'daily_cost_by_provider' || c === 'requests_and_success_rate' || c === 'month_to_date_vs_budget',
  );
  const needsLatency = builtins.includes('p95_by_service_type');
  const days =
    needsSeries || needsLatency ? await rollupDays(sql, tz, formatLocalDate(firstDay), formatLocalDate(lastDay)) : null;
  const series = needsSeries ? await dailyTotals(sql, range, tz, days) : [];
  const latency = needsLatency ? await dailyLatencyByService(sql, range, tz, days) : [];

  const charts: DigestChart[] = [];
  const failedCharts: DigestModel['failedCharts'] = [];
  const panelNames = report.charts.filter((c) => !isBuiltin(c));
  const panels = panelNames.length
    ? await renderPanels(sql, Object.fromEntries(panelNames.map((n) => [n, config.panels[n]!])), {
        start: periodStart,
        end: periodEnd,
        timeZone: tz,
      })
    : [];
  for (const id of report.charts) {
    if (isBuiltin(id)) {
      try {
        const plan = planChart(id, { snapshot, series, latency });
        const png = await renderChart(plan.spec);
        charts.push({ id, title: plan.title, alt: plan.alt, png: png.png, width: png.width, height: png.height });
      } catch (error) {
        failedCharts.push({ id, error: messageOf(error) });
      }
      continue;
    }
    const panel = panels.find((p) => p.name === id);
    if (panel?.ok) {
      const title = typeof config.panels[id]?.spec.title === 'string' ? (config.panels[id]!.spec.title as string) : id;
      charts.push({
        id,
        title,
        alt: `${title} (custom panel, ${panel.rows} rows).`,
        png: panel.png,
        width: panel.width,
        height: panel.height,
      });
    } else if (panel) {
      failedCharts.push({ id, error: panel.error });
    }
  }

  const age = snapshot.dataQuality.newestRowAgeMinutes;
  return {
    snapshot,
    sections: report.sections,
    charts,
    failedCharts,
    dashboardUrl: config.dashboard.url,
    dataAsOf: age === null ? null : new Date(opts.now.getTime() - age * 60_000).toISOString(),
    late: opts.late ?? false,
  };
}
