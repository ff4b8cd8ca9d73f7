import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local PagerDuty Events API v2 for tests: a real HTTP server on 127.0.0.1 that takes POST
 * /v2/enqueue, checks an event the way PagerDuty documents it (32-character routing key, an
 * event_action, a dedup_key for resolve, summary ≤ 1,024 characters, source and a known severity
 * for trigger), answers 202 with the dedup_key, or 400 with PagerDuty's error shape. It keeps the
 * incidents the events open and resolve, and can answer 429 (with Retry-After), 500 or 400 on
 * demand.
 */

export type PagerDutyFault = { status: 429; retryAfter?: number } | { status: 500 } | { status: 400; errors: string[] };

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface FakePagerDuty {
  /** 'http://127.0.0.1:PORT/v2/enqueue': PAGERDUTY_EVENTS_URL. */
  url: string;
  /** Accepted events, in order. */
  events: PagerDutyEvent[];
  /** Every request, accepted or not, with the status it got. */
  requests: Array<{ status: number; body: unknown }>;
  /** dedup_key → what its incident went through ("trigger", "resolve"). */
  incidents: Map<string, string[]>;
  failNext(fault: PagerDutyFault, times?: number): void;
  close(): Promise<void>;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

/** What PagerDuty would refuse in this event; empty when it is valid. */
function problemsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['Event object is not JSON'];
  const e = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) {
    problems.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  }
  if (typeof e.event_action !== 'string' || !ACTIONS.has(e.event_action)) problems.push("'event_action' is invalid");
  if (e.event_action !== 'trigger' && (typeof e.dedup_key !== 'string' || e.dedup_key === '')) {
    problems.push("'dedup_key' is missing or blank");
  }
  if (typeof e.dedup_key === 'string' && e.dedup_key.length > 255) problems.push("'dedup_key' is too long");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) problems.push("'payload' is missing");
    else {
      if (typeof p.summary !== 'string' || p.summary === '') problems.push("'payload.summary' is missing or blank");
      else if ([...p.summary].length > 1024) problems.push("'payload.summary' is too long");
      if (typeof p.source !== 'string' || p.source === '') problems.push("'payload.source' is missing or blank");
      if (typeof p.severity !== 'string' || !SEVERITIES.has(p.severity)) problems.push("'payload.severity' is invalid");
    }
  }
  return problems;
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const events: PagerDutyEvent[] = [];
  const requests: FakePagerDuty['requests'] = [];
  const incidents = new Map<string, string[]>();
  const faults: PagerDutyFault[] = [];

  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return answer(res, 404, { message: 'Not found' });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = null;
    }
    const fault = faults.shift();
    if (fault) {
      requests.push({ status: fault.status, body });
      if (fault.status === 429) {
        return answer(
          res,
          429,
          { status: 'throttle event', message: 'Requests for this service are arriving too quickly' },
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
        );
      }
      if (fault.status === 500) return answer(res, 500, { message: 'Internal Server Error' });
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: fault.errors });
    }
    const problems = problemsOf(body);
    if (problems.length > 0) {
      requests.push({ status: 400, body });
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: problems });
    }
    const event = body as PagerDutyEvent;
    // A trigger without a dedup_key gets one from PagerDuty; pulsebot always sends its own.
    const dedupKey = event.dedup_key;
    requests.push({ status: 202, body });
    events.push(event);
    incidents.set(dedupKey, [...(incidents.get(dedupKey) ?? []), event.event_action]);
    return answer(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events,
    requests,
    incidents,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
