import type { TopLevelSpec } from 'vega-lite';
import type { Snapshot } from '../metrics/snapshot.js';
import { frame, noData } from './chart-frame.js';
import { clean, isDay, num, type Row, usd } from './chart-values.js';
import type { DailyCost } from './series.js';
import { FORMAT, INK, SIZE } from './theme.js';

/** Cumulative cost this month, the forecast to month end (dashed) and the monthly budget (rule). */
export function monthToDateVsBudget(snapshot: Pick<Snapshot, 'finance'>, dailyCosts?: DailyCost): TopLevelSpec {
  const { monthToDate, forecast, budget } = snapshot.finance;
  const month = clean(monthToDate.month);
  const days = Math.max(0, num(monthToDate.days) ?? 0);
  const monthDays = days + Math.max(0, num(forecast.remainingDays) ?? 0);
  const what = 'Month-to-date cost vs budget';
  const title = `${what} · ${month}${monthDays > 0 ? ` (day ${days} of ${monthDays})` : ''}`;
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
  const parts = [`${usd(mtd)} so far`];
  if (end !== null) parts.push(`forecast ${usd(end)} at month end`);
  if (monthly !== null)
    parts.push(
      `budget ${usd(monthly)}${end !== null && monthly > 0 ? ` (forecast ${Math.round((end / monthly) * 100)}%)` : ''}`,
    );
  else parts.push('no budget set');
  const x = {
    field: 'day',
    type: 'quantitative' as const,
    title: 'Day of month',
    scale: { domain: [0, monthDays], nice: false },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const y = {
    field: 'costUsd',
    type: 'quantitative',
    title: 'Cumulative cost (USD)',
    axis: { format: FORMAT.usdAxis, tickCount: 5 },
  } as const;
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      mark: { type: 'line', strokeWidth: 2.5, point: { size: 20 } },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: ['Actual', 'Forecast'], range: [INK.accent, '#7A8691'] },
          legend: { title: null, symbolType: 'stroke', symbolStrokeWidth: 2.5 },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: {
            domain: ['Actual', 'Forecast'],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
          legend: null,
        },
      },
    },
  ];
  if (monthly !== null) {
    layers.push(
      {
        data: { values: [{ costUsd: monthly }] },
        mark: { type: 'rule', color: INK.bad, strokeWidth: 1.5, strokeDash: [2, 2] },
        encoding: { y },
      },
      {
        data: { values: [{ costUsd: monthly, text: `Budget ${usd(monthly)}` }] },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -3, color: INK.bad, fontWeight: 700 },
        encoding: { y, x: { datum: 0, type: 'quantitative' }, text: { field: 'text' } },
      },
    );
  }
  return { ...frame(title, parts.join(' · '), SIZE.wide), data: { values: line }, layer: layers };
}
