import type { DigestSection } from '../config/schema.js';
import type { Snapshot } from '../metrics/snapshot.js';

/**
 * What the message builders (Slack blocks, email, plain text) receive: one report period's
 * snapshot, its charts already rendered, and presentation settings. Built once per report ×
 * period by src/report/build-digest.ts; the builders are pure functions of it.
 */
export interface DigestChart {
  /** Built-in chart id ("daily_cost_by_provider") or custom panel name. Stable: used in file names and CIDs. */
  id: string;
  /** Human title ("Daily cost by provider"). */
  title: string;
  /** One-sentence alt text that states the chart's message (screen readers, email clients that block images). */
  alt: string;
  png: Buffer;
  /** Pixel size of the PNG (rendered at 2×: show it at half this size). */
  width: number;
  height: number;
}

export interface DigestModel {
  snapshot: Snapshot;
  /** Which sections to show, in order (config reports.<name>.sections). */
  sections: DigestSection[];
  charts: DigestChart[];
  /** Charts or panels that failed to render: named in the digest, never stop it. */
  failedCharts: Array<{ id: string; error: string }>;
  /** config dashboard.url: the button / link, or null for none. */
  dashboardUrl: string | null;
  /** The newest api_usage row the numbers include (ISO), for "data as of"; null when the table is empty. */
  dataAsOf: string | null;
  /** Sent after its scheduled time (the daemon caught up after downtime): say so. */
  late: boolean;
}
