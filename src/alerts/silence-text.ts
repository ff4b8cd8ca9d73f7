import type { Silence } from './silences.js';

/**
 * How `pulsebot silence list` and `pulsebot doctor` name a silence, its author and whoever
 * acknowledged an alert from Slack: the same words in both places.
 */

/** Control characters out: a comment or Slack user name must not break the line it is printed on. */
export const printable = (text: string) => text.replace(/\p{Cc}/gu, ' ');

/** What a silence matches: "rule on scope", "rule (every scope)", "every rule on scope". */
export function describeSilence(s: Pick<Silence, 'matchers'>): string {
  const { rule, scope } = s.matchers;
  if (rule !== undefined && scope !== undefined) return `${rule} on ${scope}`;
  return rule !== undefined ? `${rule} (every scope)` : `every rule on ${scope}`;
}

/** Silences made with a Slack button are created by "slack:<user id>"; the comment has the @name. */
const SLACK_AUTHOR = /^slack:([A-Z0-9]+)$/;

export function silenceAuthor(createdBy: string): string {
  const m = SLACK_AUTHOR.exec(createdBy);
  return m ? `Slack user ${m[1]}` : printable(createdBy);
}

/** "@alice (U123)", or the bare id when Slack sent no name. */
export function slackUser(u: { userId: string; userName: string | null }): string {
  return u.userName ? `@${printable(u.userName)} (${u.userId})` : u.userId;
}
