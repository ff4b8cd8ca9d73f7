import type { DigestSection } from '../config/schema.js';
import { periodNames } from '../messages/dates.js';
import type { Block, ContentSection } from '../messages/email-text.js';
import type { DigestChart, DigestModel } from './digest-model.js';
import { clip, type Context } from './email-section-context.js';
import {
  dataQualityBlocks,
  financeBlocks,
  modelBlocks,
  operationsBlocks,
  userBlocks,
} from './email-detail-sections.js';
import { healthBlocks, kpiBlocks, moverBlocks } from './email-headline-sections.js';

/**
 * The email digest's sections in the order the report lists them, each built-in chart placed in
 * the section it belongs to, the rest (and charts that failed) in a closing "Charts" section.
 */

const SECTIONS: Record<DigestSection, { title: string; blocks: (c: Context) => Block[] }> = {
  kpis: { title: 'Key figures', blocks: kpiBlocks },
  health: { title: 'Health', blocks: healthBlocks },
  movers: { title: 'What moved', blocks: moverBlocks },
  operations: { title: 'Operations', blocks: operationsBlocks },
  models: { title: 'Top models', blocks: modelBlocks },
  users: { title: 'Users', blocks: userBlocks },
  finance: { title: 'Finance', blocks: financeBlocks },
  data_quality: { title: 'Data quality', blocks: dataQualityBlocks },
};

/** Where a built-in chart belongs; custom panels and charts of hidden sections go to "Charts". */
const CHART_HOME: Record<string, DigestSection> = {
  daily_cost_by_provider: 'kpis',
  requests_and_success_rate: 'kpis',
  health_components: 'health',
  p95_by_service_type: 'operations',
  provider_comparison: 'operations',
  top_models_by_cost: 'models',
  month_to_date_vs_budget: 'finance',
};

/** Content id of a chart ("daily_cost_by_provider@pulsebot"); the same id twice gets a suffix. */
export function chartCids(charts: readonly DigestChart[]): string[] {
  const seen = new Map<string, number>();
  return charts.map((c) => {
    const base = c.id.replace(/[^A-Za-z0-9._-]/g, '_') || 'chart';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `${n === 1 ? base : `${base}-${n}`}@pulsebot`;
  });
}

/**
 * Charts that repeat the table beside them (top models, health components), on a screen where
 * every pixel of height counts: the email shows the table alone (Slack's message keeps them).
 */
const REPEATS_SECTION: Record<string, DigestSection> = { top_models_by_cost: 'models', health_components: 'health' };
export const emailShows = (model: DigestModel, chart: DigestChart) =>
  !(REPEATS_SECTION[chart.id] !== undefined && model.sections.includes(REPEATS_SECTION[chart.id]!));

export function digestSections(model: DigestModel, cids: readonly string[]): ContentSection[] {
  const s = model.snapshot;
  const kind = s.report.period;
  const ctx: Context = {
    s,
    kind,
    previous: periodNames(s.previous, kind, s.report.timeZone).short,
    lastWeek: s.sameWeekdayLastWeek ? periodNames(s.sameWeekdayLastWeek, 'day', s.report.timeZone).short : null,
  };
  const sections = model.sections.map(
    (key): ContentSection => ({ key, title: SECTIONS[key].title, blocks: SECTIONS[key].blocks(ctx) }),
  );
  const charts: ContentSection = { key: 'charts', title: 'Charts', blocks: [] };
  model.charts.forEach((chart, i) => {
    if (!emailShows(model, chart)) return;
    const image: Block = {
      kind: 'image',
      cid: cids[i]!,
      title: clip(chart.title),
      alt: clip(chart.alt, 300),
      width: chart.width / 2,
    };
    const home = sections.find((x) => x.key === CHART_HOME[chart.id]) ?? charts;
    home.blocks.push(image);
  });
  for (const f of model.failedCharts) {
    charts.blocks.push({
      kind: 'notice',
      tone: 'warning',
      spans: [{ text: `Chart "${clip(f.id, 60)}" could not be drawn: ${clip(f.error, 200)}` }],
    });
  }
  return charts.blocks.length ? [...sections, charts] : sections;
}
