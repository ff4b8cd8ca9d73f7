import type { AlertMessage } from './message.js';

/**
 * One line that says what is wrong, where and how bad, for pages and webhooks: the alert's
 * title (value against its line, and the scope), the rule in words, and the request volume.
 * At most `max` characters (PagerDuty's summary takes 1,024), cut on a character boundary.
 */
export function alertSummary(m: AlertMessage, max = 1024): string {
  const volume = m.howBad.requests > 0 ? `; ${m.howBad.requestsText} requests in the window` : '';
  const text = `${m.title}. ${m.what}${volume} (rule ${m.rule}, ${m.severity})`;
  return clip(text, max);
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
