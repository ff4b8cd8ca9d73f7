import type { TopLevelSpec } from 'vega-lite';
import type { Sql } from '../db/connect.js';
import { messageOf } from '../errors.js';
import { renderChart } from '../render/renderer.js';
import { noData } from './chart-frame.js';

export interface PanelDefinition {
  sql: string;
  spec: Record<string, unknown>;
  timeout_seconds: number;
}

export type PanelResult =
  | { name: string; ok: true; png: Buffer; width: number; height: number; rows: number }
  | { name: string; ok: false; error: string };

/**
 * Custom panels from the config. Each query runs in a READ ONLY transaction with its own
 * statement timeout, so a panel cannot change data or hold the report hostage; each failure is
 * reported with the panel's name and never stops the other panels (or the report).
 */
export async function renderPanels(
  sql: Sql,
  panels: Record<string, PanelDefinition>,
  period: { start: Date; end: Date; timeZone: string },
): Promise<PanelResult[]> {
  const results: PanelResult[] = [];
  for (const [name, panel] of Object.entries(panels)) {
    results.push(await renderPanel(sql, name, panel, period));
  }
  return results;
}

async function renderPanel(
  sql: Sql,
  name: string,
  panel: PanelDefinition,
  period: { start: Date; end: Date; timeZone: string },
): Promise<PanelResult> {
  let rows: Record<string, unknown>[];
  try {
    rows = await sql.begin('read only', async (tx) => {
      await tx`select set_config('statement_timeout', ${String(panel.timeout_seconds * 1000)}, true)`;
      // Typed parameters: a query that does not use all three must still parse.
      return tx.unsafe<Record<string, unknown>[]>(panel.sql, [
        tx.typed(period.start.toISOString(), 1184),
        tx.typed(period.end.toISOString(), 1184),
        tx.typed(period.timeZone, 25),
      ] as never[]);
    });
  } catch (error) {
    return { name, ok: false, error: `panel "${name}": query failed: ${messageOf(error)}` };
  }
  // Dates and big numbers as JSON-friendly values; the spec sees plain rows.
  const values = rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v,
      ]),
    ),
  );
  const title = typeof panel.spec.title === 'string' ? panel.spec.title : name;
  try {
    const spec = values.length === 0 ? noData(title) : ({ ...panel.spec, data: { values } } as unknown as TopLevelSpec);
    const chart = await renderChart(spec);
    return { name, ok: true, png: chart.png, width: chart.width, height: chart.height, rows: values.length };
  } catch (error) {
    return { name, ok: false, error: `panel "${name}": chart failed: ${messageOf(error)}` };
  }
}
