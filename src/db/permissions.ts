import { PulsebotError, messageOf, pgFields } from '../errors.js';
import type { Sql } from './connect.js';

/** The first insufficient_privilege (42501) in an error's cause chain. */
function permissionDenied(error: unknown): unknown {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 8; depth++) {
    if (pgFields(e).code === '42501') return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/**
 * A permission error in words: which privilege the server refused and how to grant it, instead of
 * a hint to run `migrate`, which a role without rights cannot do anyway. Other errors pass through.
 */
export async function explainPermissionError(sql: Sql, error: unknown, runtimeRole: string | null): Promise<unknown> {
  const denied = permissionDenied(error);
  if (denied === undefined) return error;
  const [who] = await sql<{ user: string }[]>`select current_user as user`.catch(() => [{ user: '<this login role>' }]);
  const login = who?.user ?? '<this login role>';
  const hint = runtimeRole
    ? `the owner keeps the role ${runtimeRole} with every right pulsebot's commands need: run \`pulsebot migrate\` as the owner, ` +
      `then GRANT ${runtimeRole} TO ${login}; (README "Security")`
    : `database.runtime_role is null, so no role carries pulsebot's rights: set it, run \`pulsebot migrate\` as the owner, ` +
      `then GRANT pulsebot_runtime TO ${login}; (README "Security")`;
  return new PulsebotError('DB_PERMISSION', `${login} may not do what this command needs: ${messageOf(denied)}`, {
    cause: error,
    hint,
  });
}
