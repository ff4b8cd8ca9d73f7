import { readFileSync } from 'node:fs';
import { PulsebotError } from '../errors.js';
import type { TransactionSql } from './connect.js';
import { type Migration, SQL_DIR } from './migration-files.js';

/**
 * Before the baseline, pulsebot's schema was built by a chain of 28 numbered migrations. Their
 * end state is the baseline's tables plus the definitions; a database migrated through the whole
 * chain is converted in place (ledger rewritten, leftovers dropped, definitions applied), never
 * rebuilt. The names identify the chain: checksums were not stable across its development builds.
 */
const LEGACY_CHAIN = [
  'pulsebot_core',
  'api_usage',
  'user_subscriptions',
  'dashboard_views',
  'refresh_function',
  'rollups',
  'capture',
  'fold',
  'views_over_rollups',
  'outbox',
  'job_runs',
  'pending_rollups',
  'alerts',
  'fold_into_pending',
  'user_sets_by_day',
  'user_bitmaps',
  'capture_keys',
  'dim_keys',
  'user_bits_new_only',
  'coarse_histograms',
  'detached_change_log',
  'provider_view_probes',
  'refresh_steps',
  'number_users_in_one_pass',
  'lean_capture',
  'coarse_from_pending',
  'users_day_without_conversion',
  'user_bits_hash_grouping',
] as const;

export type LegacyChainState = 'none' | 'complete' | { appliedThrough: number };

/** Which chain the ledger's rows come from: none, the whole earlier chain, or part of it. */
export function legacyChainState(ledger: readonly { id: number; name: string }[]): LegacyChainState {
  if (!ledger.some((r) => r.id === 1 && r.name === LEGACY_CHAIN[0])) return 'none';
  const complete = LEGACY_CHAIN.every((name, i) => ledger.some((r) => r.id === i + 1 && r.name === name));
  if (complete && ledger.length === LEGACY_CHAIN.length) return 'complete';
  return { appliedThrough: Math.max(...ledger.map((r) => r.id)) };
}

export async function convertLegacyChain(
  tx: TransactionSql,
  state: Exclude<LegacyChainState, 'none'>,
  baseline: Migration,
): Promise<void> {
  if (state !== 'complete') {
    throw new PulsebotError(
      'SCHEMA_INCOMPATIBLE',
      `the database was migrated by an earlier development build of pulsebot only up to its migration ${state.appliedThrough} of ${LEGACY_CHAIN.length}`,
      {
        hint: 'migrate it with pulsebot at commit c448a6b first (it applies the rest of that chain), then run this `pulsebot migrate`',
      },
    );
  }
  await tx`delete from pulsebot.migrations`;
  await tx`insert into pulsebot.migrations (id, name, checksum) values (${baseline.id}, ${baseline.name}, ${baseline.checksum})`;
  await tx`delete from pulsebot.definitions`;
  // A fold running between this and the definitions (milliseconds, once) may fail on the dropped
  // helper; it rolls back, is logged, and the next refresh folds everything.
  await tx.unsafe(readFileSync(`${SQL_DIR}/upgrade/legacy_chain.sql`, 'utf8'));
}
