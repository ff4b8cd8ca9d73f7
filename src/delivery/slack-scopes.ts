/**
 * The OAuth scopes the Slack transport uses, and why. A retried or resumed send reads the
 * channel's history before posting, so that nothing is posted twice: without the history scope a
 * single passing error turns into a permanent missing_scope failure.
 */

export interface ScopeNeed {
  scope: string;
  why: string;
}

/** `responderGroups`: alerts.slack_responders lists a user group (S…), whose members the alert buttons read. */
export function requiredSlackScopes(opts: { uploadCharts: boolean; responderGroups?: boolean }): ScopeNeed[] {
  return [
    { scope: 'chat:write', why: 'post the messages' },
    ...(opts.uploadCharts ? [{ scope: 'files:write', why: 'upload the charts (slack.upload_charts)' }] : []),
    { scope: 'channels:read', why: "find a channel's id by its name when a send is retried" },
    { scope: 'channels:history', why: "read the channel's history on a retry, so nothing is posted twice" },
    ...(opts.responderGroups
      ? [{ scope: 'usergroups:read', why: 'read the members of the user groups in alerts.slack_responders' }]
      : []),
  ];
}

/** The user group ids (S…) among alerts.slack_responders. */
export function responderGroups(responders: readonly string[]): string[] {
  return responders.filter((r) => r.startsWith('S'));
}

/** The same two needs for private channels (the bot must also be invited there). */
export const PRIVATE_CHANNEL_SCOPES = ['groups:read', 'groups:history'] as const;

export function missingScopes(granted: readonly string[], needed: readonly ScopeNeed[]): ScopeNeed[] {
  const have = new Set(granted.map((s) => s.trim()));
  return needed.filter((n) => !have.has(n.scope));
}

/** The fix line for missing scopes: Slack applies new scopes only once the app is reinstalled. */
export function addScopesFix(scopes: readonly string[]): string {
  return `add the scope${scopes.length === 1 ? '' : 's'} ${scopes.join(', ')} to the Slack app ("OAuth & Permissions") and reinstall it to the workspace`;
}
