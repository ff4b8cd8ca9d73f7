import type { CheckResult } from './check-result.js';

const SYMBOL = { ok: '✓', fail: '✗', warn: '!' } as const;

/** One ✓/✗ line per check, the fix indented under each failure. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.min(34, Math.max(...results.map((r) => r.name.length)));
  const lines = results.flatMap((r) => {
    const head = `${SYMBOL[r.status]} ${r.name.padEnd(width)}  ${r.detail}`;
    const fix = r.status !== 'ok' && r.fix ? r.fix.split('\n').map((l) => `    fix: ${l}`) : [];
    return [head, ...fix];
  });
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  const summary =
    failed === 0
      ? `all ${results.length} checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}`
      : `${failed} of ${results.length} checks failed`;
  return [...lines, '', summary].join('\n');
}
