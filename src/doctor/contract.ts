/**
 * The source-table contract from DESIGN.md, as doctor checks it on an adopted database: which
 * columns must exist, which types are good enough, and the statement that adds a missing one.
 */
export interface ColumnContract {
  name: string;
  /** Type as created by pulsebot, used in the fix statement. */
  type: string;
  /** format_type() names that work as well. */
  accepts: readonly string[];
  /** Column definition that is safe to add to a populated table (nullable or with a default). */
  addAs: string;
}

const INTEGER_LIKE = ['integer', 'bigint', 'smallint', 'numeric'];
const NUMBER_LIKE = ['numeric', 'double precision', 'real', 'integer', 'bigint', 'smallint'];
const TEXT_LIKE = ['text', 'character varying'];

export const API_USAGE_COLUMNS: readonly ColumnContract[] = [
  {
    name: 'created_at',
    type: 'timestamptz',
    accepts: ['timestamp with time zone'],
    addAs: 'timestamptz not null default now()',
  },
  { name: 'user_id', type: 'uuid', accepts: ['uuid', ...TEXT_LIKE], addAs: 'uuid' },
  { name: 'provider', type: 'text', accepts: TEXT_LIKE, addAs: "text not null default 'unknown'" },
  { name: 'service_type', type: 'text', accepts: TEXT_LIKE, addAs: "text not null default 'unknown'" },
  { name: 'model', type: 'text', accepts: TEXT_LIKE, addAs: "text not null default 'unknown'" },
  { name: 'input_tokens', type: 'integer', accepts: INTEGER_LIKE, addAs: 'integer' },
  { name: 'output_tokens', type: 'integer', accepts: INTEGER_LIKE, addAs: 'integer' },
  { name: 'images', type: 'integer', accepts: INTEGER_LIKE, addAs: 'integer' },
  { name: 'video_seconds', type: 'numeric', accepts: NUMBER_LIKE, addAs: 'numeric' },
  { name: 'cost_usd', type: 'numeric(14,6)', accepts: NUMBER_LIKE, addAs: 'numeric(14,6) not null default 0' },
  { name: 'latency_ms', type: 'integer', accepts: NUMBER_LIKE, addAs: 'integer' },
  { name: 'success', type: 'boolean', accepts: ['boolean'], addAs: 'boolean not null default true' },
  { name: 'error_code', type: 'text', accepts: TEXT_LIKE, addAs: 'text' },
  { name: 'is_synthetic', type: 'boolean', accepts: ['boolean'], addAs: 'boolean not null default false' },
];

export const USER_SUBSCRIPTIONS_COLUMNS: readonly ColumnContract[] = [
  { name: 'user_id', type: 'uuid', accepts: ['uuid', ...TEXT_LIKE], addAs: 'uuid' },
  { name: 'plan', type: 'text', accepts: TEXT_LIKE, addAs: 'text' },
  { name: 'status', type: 'text', accepts: TEXT_LIKE, addAs: 'text' },
  { name: 'monthly_amount_usd', type: 'numeric(12,2)', accepts: NUMBER_LIKE, addAs: 'numeric(12,2)' },
  { name: 'started_at', type: 'timestamptz', accepts: ['timestamp with time zone'], addAs: 'timestamptz' },
  { name: 'canceled_at', type: 'timestamptz', accepts: ['timestamp with time zone'], addAs: 'timestamptz' },
];

export interface ColumnProblem {
  column: ColumnContract;
  found: string | null;
}

/** Compares actual columns (name → format_type) with a contract; pure. */
export function columnProblems(
  contract: readonly ColumnContract[],
  actual: ReadonlyMap<string, string>,
): ColumnProblem[] {
  return contract.flatMap((column): ColumnProblem[] => {
    const found = actual.get(column.name) ?? null;
    if (found === null) return [{ column, found }];
    const base = found.replace(/\(.*\)$/, '');
    return column.accepts.includes(base) ? [] : [{ column, found }];
  });
}

export function addColumnsStatement(table: string, missing: readonly ColumnContract[]): string {
  return `ALTER TABLE ${table} ${missing.map((c) => `ADD COLUMN ${c.name} ${c.addAs}`).join(', ')};`;
}

export const DASHBOARD_VIEWS = ['mv_daily_metrics', 'mv_provider_performance', 'mv_model_costs'] as const;
export type DashboardView = (typeof DASHBOARD_VIEWS)[number];

/** The columns each view must have, in order (DESIGN.md "Dashboard views"). */
export const VIEW_COLUMNS: Record<DashboardView, readonly string[]> = {
  mv_daily_metrics: [
    'date',
    'active_users',
    'total_requests',
    'successful_requests',
    'success_rate',
    'total_cost_usd',
    'avg_latency_ms',
    'p95_latency_ms',
    'total_tokens',
    'total_images',
    'total_video_seconds',
  ],
  mv_provider_performance: [
    'provider',
    'service_type',
    'total_requests',
    'total_cost_usd',
    'success_rate',
    'avg_latency_ms',
    'p95_latency_ms',
  ],
  mv_model_costs: [
    'provider',
    'model',
    'service_type',
    'total_requests',
    'total_cost_usd',
    'total_tokens',
    'total_images',
    'total_video_seconds',
    'unique_users',
  ],
};
