import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { assertCompleteVisibility } from '../db/visibility.js';
import { PulsebotError, messageOf } from '../errors.js';
import { resolvePeriods, type Period, type ReportPeriods } from './period.js';
import {
  distinctUsers,
  distinctUsersByModel,
  distinctUsersOfModels,
  errorsByCode,
  freshness,
  latencyHistograms,
  measuresByModel,
  rollupDays,
} from './queries.js';
import { buildSnapshot, rankModels, type PeriodData, type Snapshot } from './snapshot.js';
import type { BusinessData } from './business.js';
import { dailyCosts, monthlyRecurringRevenue, userActivity } from './queries-business.js';
import { addDays, compareLocalDates, formatLocalDate, startOfLocalDay, type LocalDate } from './zoned-time.js';

/** The IO edge of the snapshot: fold the latest changes, run the query modules, build. */
export async function loadSnapshot(
  sql: Sql,
  config: PulsebotConfig,
  opts: { report: string; date?: LocalDate; now: Date },
): Promise<Snapshot> {
  const report = config.reports[opts.report];
  if (!report) {
    throw new PulsebotError('USAGE', `no report named "${opts.report}"`, {
      hint: `configured reports: ${Object.keys(config.reports).join(', ')}`,
    });
  }
  let periods: ReportPeriods;
  try {
    periods = resolvePeriods({
      kind: report.period,
      timeZone: report.timezone,
      now: opts.now,
      ...(opts.date ? { date: opts.date } : {}),
    });
  } catch (cause) {
    throw new PulsebotError('USAGE', messageOf(cause), { cause });
  }
  // Partial rows must not pass for complete numbers (src/db/visibility.ts).
  await assertCompleteVisibility(sql);
  // Late rows that arrived since the last refresh belong in the numbers too; folded as the owner,
  // through refresh_analytics_step() (the runtime role may not write the rollups).
  const [fold] = await sql<{ outcome: string; error: string | null }[]>`
    select outcome, error from public.refresh_analytics_step('fold')`.catch((cause: unknown) => {
    throw new PulsebotError(
      'SCHEMA_INCOMPATIBLE',
      `cannot fold the latest rows into the rollups: ${messageOf(cause)}`,
      {
        cause,
        hint: 'run `pulsebot migrate`',
      },
    );
  });
  if (fold?.outcome === 'failed') {
    throw new PulsebotError('REFRESH_FAILED', `folding the latest rows into the rollups failed: ${fold.error}`);
  }
  const load = (p: Period) => loadPeriod(sql, p, null);
  const [current, previous, lastWeek, ...baseline] = await sequential([
    () => loadPeriod(sql, periods.current, report.top_models),
    () => load(periods.previous),
    () => (periods.sameWeekdayLastWeek ? load(periods.sameWeekdayLastWeek) : Promise.resolve(null)),
    ...periods.baselineWeekdays.map((p) => () => load(p)),
  ]);
  return buildSnapshot({
    report: { name: opts.report, topModels: report.top_models },
    periods,
    current: current!,
    previous: previous!,
    sameWeekdayLastWeek: lastWeek ?? null,
    baseline: baseline.map((d) => d!),
    freshness: await freshness(sql, opts.now),
    limits: {
      maxDataAgeMinutes: config.freshness.max_data_age_minutes,
      maxRefreshAgeMinutes: config.freshness.max_refresh_age_minutes,
    },
    health: config.health,
    monthlyBudgetUsd: config.budget.monthly_usd,
    business: await loadBusiness(sql, periods.current),
    now: opts.now,
  });
}

/**
 * The report period in full (with its top N models, whose distinct users are counted apart from
 * the rest's); the periods it is compared with only need their totals (topModels null).
 */
async function loadPeriod(sql: Sql, period: Period, topModels: number | null): Promise<PeriodData> {
  const range = { start: period.start, end: period.end };
  const days = await rollupDays(
    sql,
    period.timeZone,
    formatLocalDate(period.firstDay),
    formatLocalDate(period.lastDay),
  );
  const byModel = await measuresByModel(sql, range, days);
  const pastTop = topModels === null ? [] : rankModels(byModel).slice(topModels);
  return {
    byModel,
    histograms: await latencyHistograms(sql, range, days),
    errors: await errorsByCode(sql, range),
    users: {
      total: await distinctUsers(sql, range, days),
      byModel: topModels === null ? new Map() : await distinctUsersByModel(sql, range, days),
      ...(pastTop.length > 0 ? { pastTop: await distinctUsersOfModels(sql, range, days, pastTop) } : {}),
    },
  };
}

async function loadBusiness(sql: Sql, period: Period): Promise<BusinessData> {
  const range = { start: period.start, end: period.end };
  const monthStart: LocalDate = { year: period.lastDay.year, month: period.lastDay.month, day: 1 };
  const fourWeeksBack = addDays(period.lastDay, -27);
  const from = compareLocalDates(monthStart, fourWeeksBack) < 0 ? monthStart : fourWeeksBack;
  return {
    users: await userActivity(sql, range),
    mrr: await monthlyRecurringRevenue(sql, period.end),
    dailyCosts: await dailyCosts(
      sql,
      { start: startOfLocalDay(from, period.timeZone), end: period.end },
      period.timeZone,
    ),
  };
}

/** One at a time: the embedded database serves a single connection. */
async function sequential<T>(tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  for (const t of tasks) out.push(await t());
  return out;
}
