import type { CommandContext } from './context.js';

/** Warnings and errors of a delivery pass (an inline retry, a message given up), one line each on stderr. */
export function deliveryLogTo(ctx: CommandContext): (event: Record<string, unknown>) => void {
  return (event) => {
    if (event.level !== 'error' && event.level !== 'warn') return;
    const { level, event: what, message, ...rest } = event;
    ctx.io.err(
      `${String(level)}: ${String(message ?? what ?? '')} ${Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')}`.trimEnd(),
    );
  };
}
