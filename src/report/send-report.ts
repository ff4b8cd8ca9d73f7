import type { PulsebotConfig } from '../config/schema.js';
import type { Sql } from '../db/connect.js';
import { deliverDue } from '../delivery/dispatch.js';
import { deliverConfigOf } from '../delivery/deliver-config.js';

import { enqueue } from '../delivery/outbox.js';
import { requeueDead } from '../delivery/outbox-status.js';
import type { Transports } from '../delivery/transports.js';
import type { LocalDate } from '../metrics/zoned-time.js';
import { buildDigestModel } from './build-digest.js';
import { composeDigest, type ComposedDigest } from './compose-digest.js';
import type { DigestModel } from './digest-model.js';

/**
 * One report for one period, from data to delivered messages: build the digest, queue every
 * message under its unique key (a period already queued is not queued twice, by this process or
 * a replica), then deliver what is due. Used by `pulsebot digest` and the daemon's report jobs.
 */
export type DeliveryLog = (event: Record<string, unknown>) => void;

export interface SendReportDeps {
  sql: Sql;
  config: PulsebotConfig;
  transports: Transports;
  now: () => Date;
  log: DeliveryLog;
  /** One-shot commands: retry transient failures within the run this long (DeliverDeps.inlineRetryMs). */
  inlineRetryMs?: number;
}

export interface SendReportResult {
  model: DigestModel;
  composed: ComposedDigest;
  queued: { inserted: number; existing: number; requeued: number };
  delivered: { sent: number; retried: number; dead: number; resumed: number };
}

export async function sendReport(
  deps: SendReportDeps,
  opts: { report: string; date?: LocalDate; late?: boolean; resendDead?: boolean },
): Promise<SendReportResult> {
  const now = deps.now();
  const model = await buildDigestModel(deps.sql, deps.config, {
    report: opts.report,
    ...(opts.date ? { date: opts.date } : {}),
    now,
    late: opts.late ?? false,
  });
  const composed = await composeDigest(model, {
    name: opts.report,
    report: deps.config.reports[opts.report]!,
    email: deps.config.email,
  });
  for (const f of model.failedCharts)
    deps.log({
      level: 'warn',
      message: `chart ${f.id} left out of ${opts.report}: ${f.error}`,
      report: opts.report,
      chart: f.id,
    });
  const inserted = await enqueue(deps.sql, composed.messages, { kind: 'report', now });
  const requeued = opts.resendDead
    ? await requeueDead(
        deps.sql,
        composed.messages.map((m) => m.key),
        now,
      )
    : 0;
  const queued = { ...inserted, requeued };
  const delivered = await deliverDue({
    sql: deps.sql,
    transports: deps.transports,
    files: deps.transports.files,
    now: deps.now,
    config: deliverConfigOf(deps.config),
    log: deps.log,
    inlineRetryMs: deps.inlineRetryMs,
  });
  return { model, composed, queued, delivered };
}
