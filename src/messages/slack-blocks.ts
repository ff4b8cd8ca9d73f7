/** Block Kit's building blocks, shared by the digest and the alerts. Text passed in is already escaped. */
export type Block = Record<string, unknown>;

// verbatim: Slack would otherwise auto-link URLs and parse some mentions in the (escaped) data.
export const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
export const plainText = (text: string) => ({ type: 'plain_text', text, emoji: true });
export const divider: Block = { type: 'divider' };
export const contextBlock = (texts: string[]): Block => ({ type: 'context', elements: texts.map(mrkdwn) });
