import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import { frame, noData } from './chart-frame.js';
import { thresholdRule } from './chart-marks.js';
import { niceTicks } from './chart-axes.js';
import { axisLabels, clean, isDay, num, type Row, usd, usdTick } from './chart-values.js';
import type { DailyCost } from './series.js';
import { INK, SIZE } from './theme.js';

/**
 * Cumulative cost this month (ink), the forecast to month end (grey, dotted) and the monthly
 * budget as the threshold line every chart uses.
 */
export function monthToDateVsBudget(snapshot: Pick<Snapshot, 'finance'>, dailyCosts?: DailyCost): TopLevelSpec {
  const { monthToDate, forecast, budget } = snapshot.finance;
  const month = clean(monthToDate.month);
  const days = Math.max(0, num(monthToDate.days) ?? 0);
  const monthDays = days + Math.max(0, num(forecast.remainingDays) ?? 0);
  const what = 'Month to date vs budget';
  const title = `${what} · ${month}`;
  const mtd = num(monthToDate.costUsd);
  if (monthDays === 0 || mtd === null) return noData(title);
  const actual: Row[] = [{ day: 0, costUsd: 0, series: 'Actual' }];
  const daily = (dailyCosts ?? [])
    .filter((d) => isDay(d.date) && d.date.startsWith(`${month}-`) && num(d.costUsd) !== null)
    .sort((a, b) => a.date.localeCompare(b.date));
  if (daily.length > 0) {
    let sum = 0;
    for (const d of daily) {
      sum += d.costUsd;
      actual.push({ day: Number(d.date.slice(8, 10)), costUsd: sum, series: 'Actual' });
    }
  } else if (days > 0) {
    actual.push({ day: days, costUsd: mtd, series: 'Actual' });
  }
  const end = num(forecast.monthEndCostUsd);
  const line: Row[] = [...actual];
  if (end !== null && days < monthDays)
    line.push({ day: days, costUsd: mtd, series: 'Forecast' }, { day: monthDays, costUsd: end, series: 'Forecast' });
  const monthly = budget ? num(budget.monthlyUsd) : null;
  const parts = [`Day ${days} of ${monthDays} · ${usd(mtd)} so far`];
  const second = end === null ? [] : [`forecast ${usd(end)}`];
  if (monthly !== null)
    second.push(
      `budget ${usd(monthly)} dashed${end !== null && monthly > 0 ? ` (forecast ${Math.round((end / monthly) * 100)}%)` : ''}`,
    );
  else second.push('no budget set');
  parts.push(second.join(' · '));
  const x = {
    field: 'day',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [0, monthDays], nice: false },
    axis: { values: [1, 8, 15, 22, 29].filter((d) => d <= monthDays), format: 'd', grid: false },
  };
  const top = Math.max(...line.map((r) => Number(r.costUsd)), monthly ?? 0);
  const ticks = niceTicks(top * 1.05, 5);
  const y = {
    field: 'costUsd',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [Math.min(0, ...line.map((r) => Number(r.costUsd))), ticks[ticks.length - 1]!], nice: false },
    axis: axisLabels(ticks, usdTick),
  };
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      mark: { type: 'line', strokeWidth: 2.5, strokeCap: 'round', point: { size: 20 } },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: ['Actual', 'Forecast'], range: [INK.series, INK.muted] },
          legend: { title: null, symbolType: 'stroke', symbolStrokeWidth: 2.5 },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: {
            domain: ['Actual', 'Forecast'],
            range: [
              [1, 0],
              // Dotted: dashed is the threshold style (the budget line).
              [1, 4],
            ],
          },
          legend: null,
        },
      },
    },
  ];
  if (monthly !== null) layers.push(...thresholdRule(y, monthly));
  return { ...frame(title, parts, SIZE.wide), data: { values: line }, layer: layers };
}
