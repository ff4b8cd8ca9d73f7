import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { PulsebotConfig } from '../../src/config/schema.js';
import { PulsebotError } from '../../src/errors.js';

/**
 * Every bad value is one error naming its key, whatever mapping it sits in; values that used to be
 * accepted and then misbehaved (a URL as an address, a timer no setTimeout can hold) are refused.
 * Expected messages are written out by hand.
 */

const FILE = 'pulsebot.yaml';

function parse(text: string): PulsebotConfig {
  return parseConfigText(text, FILE, {});
}

/** The one line the CLI would print after "pulsebot: ", and no second problem. */
function problem(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PulsebotError);
    const e = error as PulsebotError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.hint).toBeUndefined();
    return e.message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const report = (lines: string) => `reports:\n  daily:\n${lines}`;

describe('a bad value inside reports.<name> names its key (it used to crash the loader)', () => {
  it.each([
    [
      '    routes:\n      slack: ["ai-usage"]\n',
      'reports.daily.routes.slack[0]: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD", got "ai-usage"',
    ],
    [
      '    routes:\n      slack: ["#ops", "#AI-Usage"]\n',
      'reports.daily.routes.slack[1]: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD", got "#AI-Usage"',
    ],
    [
      '    routes:\n      email: ["team@"]\n',
      'reports.daily.routes.email[0]: expected an email address such as "team@example.com"',
    ],
    [
      '    schedule: "61 25 * * *"\n',
      'reports.daily.schedule: expected a cron expression such as "*/5 * * * *", got "61 25 * * *" (Invalid value for minute: 61)',
    ],
    [
      '    timezone: Mars/Olympus\n',
      'reports.daily.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC", got "Mars/Olympus"',
    ],
    [
      '    top_models: 0\n',
      'reports.daily.top_models: expected a number of models: a whole number from 1 to 50, got 0',
    ],
    [
      '    top_models: 51\n',
      'reports.daily.top_models: expected a number of models: a whole number from 1 to 50, got 51',
    ],
    ['    sections: weekly\n', 'reports.daily.sections: expected a list, got "weekly"'],
  ])('%j', (lines, expected) => {
    expect(problem(report(lines))).toBe(`${FILE}: ${expected}`);
  });

  it('a bad value next to an unknown chart: the value is reported, the cross-key check waits', () => {
    expect(problem(report('    top_models: 0\n    charts: [no_such_chart]\n'))).toBe(
      `${FILE}: reports.daily.top_models: expected a number of models: a whole number from 1 to 50, got 0`,
    );
    expect(problem(report('    charts: [no_such_chart]\n'))).toMatch(
      /^pulsebot\.yaml: reports\.daily\.charts\[0\]: unknown chart "no_such_chart" \(built-in: /,
    );
  });

  it('a chart named like an Object property is still unknown', () => {
    expect(problem(report('    charts: [constructor]\n'))).toMatch(
      /reports\.daily\.charts\[0\]: unknown chart "constructor"/,
    );
  });

  it('the same guard in other sections: alerts, maintenance windows, health', () => {
    expect(problem('alerts:\n  maintenance_windows:\n    - name: x\n      rules: 5\n')).toBe(
      `${FILE}: alerts.maintenance_windows[0].rules: expected a list, got 5`,
    );
    expect(problem('alerts:\n  rules:\n    success_rate:\n      routes:\n        slack: [Ops]\n')).toBe(
      `${FILE}: alerts.rules.success_rate.routes.slack[0]: expected a Slack channel: "#name" (lower case) or a channel id such as "C0123ABCD", got "Ops"`,
    );
    expect(problem('health:\n  success_rate:\n    floor: 5\n')).toBe(
      `${FILE}: health.success_rate.floor: expected the success rate that scores 0 as a fraction between 0 and 1 (0.99 for 99%), got 5`,
    );
  });

  it('a key named __proto__ is an unknown key, not silently dropped', () => {
    expect(problem('alerts:\n  rules:\n    __proto__:\n      enabled: false\n')).toBe(
      `${FILE}: alerts.rules.__proto__: unknown key (not a name pulsebot uses)`,
    );
  });

  it('an odd key is quoted, cut short, and kept on one line', () => {
    expect(problem('"line\\nbreak": 1\n')).toBe(
      `${FILE}: "line\\nbreak": unknown key (check the spelling against config/pulsebot.example.yaml)`,
    );
    const long = 'k'.repeat(200);
    expect(problem(`${long}: 1\n`)).toBe(
      `${FILE}: "${'k'.repeat(76)}…": unknown key (check the spelling against config/pulsebot.example.yaml)`,
    );
  });

  it('a report name that is not lower case says what names may be', () => {
    expect(problem('reports:\n  Daily:\n    period: day\n')).toBe(
      `${FILE}: reports.Daily: not a valid name: report names are lower-case letters, digits, - and _`,
    );
  });
});

describe('email addresses and the sender', () => {
  it.each([
    'postgres://user:password@host',
    'user:password@host',
    'a/b@example.com',
    'team@',
    '@example.com',
    'two words@example.com',
    'a..b@example.com',
    'team@-example.com',
    'team@example.com.',
  ])('%s is not an address', (address) => {
    expect(problem(`delivery:\n  failure_routes:\n    email: [${JSON.stringify(address)}]\n`)).toBe(
      `${FILE}: delivery.failure_routes.email[0]: expected an email address such as "team@example.com"`,
    );
  });

  it('the value of a refused address is not echoed (it may be a URL with a password)', () => {
    expect(problem('delivery:\n  failure_routes:\n    email: ["postgres://user:hunter2@db"]\n')).not.toContain(
      'hunter2',
    );
  });

  it.each([
    'team@example.com',
    'root@localhost',
    'first.last+digest@mail.example.co.uk',
    "o'brien@example.ie",
    'müller@bücher.example',
  ])('%s is an address', (address) => {
    expect(parse(`email:\n  reply_to: ${JSON.stringify(address)}\n`).email.reply_to).toBe(address);
  });

  it.each([
    'not an address',
    'pulsebot',
    'pulsebot <not an address>',
    'a <b> <pulsebot@example.com>',
    'pulsebot <postgres://u:p@host>',
  ])('email.from %j is refused', (from) => {
    expect(problem(`email:\n  from: ${JSON.stringify(from)}\n`)).toBe(
      `${FILE}: email.from: expected a sender such as "pulsebot <pulsebot@example.com>" or "pulsebot@example.com"`,
    );
  });

  it.each([
    'pulsebot@example.com',
    'pulsebot <pulsebot@example.com>',
    'AI Usage Bot<bot@example.com>',
    '"Usage, AI" <bot@example.com>',
    '<bot@example.com>',
  ])('email.from %j is accepted', (from) => {
    expect(parse(`email:\n  from: ${JSON.stringify(from)}\n`).email.from).toBe(from);
  });
});

describe('cron expressions', () => {
  it('5 fields, 6 with seconds, and nicknames are accepted', () => {
    expect(parse('refresh:\n  schedule: "0 * * * *"\n').refresh.schedule).toBe('0 * * * *');
    expect(parse('refresh:\n  schedule: "*/10 * * * * *"\n').refresh.schedule).toBe('*/10 * * * * *');
    expect(parse('refresh:\n  schedule: "@hourly"\n').refresh.schedule).toBe('@hourly');
    // 29 February comes every four years: it does fire.
    expect(parse('refresh:\n  schedule: "0 0 29 2 *"\n').refresh.schedule).toBe('0 0 29 2 *');
  });

  it('a 7th (year) field is refused, saying how many fields a cron has', () => {
    expect(problem('refresh:\n  schedule: "0 0 9 * * * 2027"\n')).toBe(
      `${FILE}: refresh.schedule: expected a cron expression such as "*/5 * * * *": 5 fields (minute hour day month weekday), or 6 with leading seconds, got "0 0 9 * * * 2027"`,
    );
  });

  it.each([
    ['0 0 30 2 *', 'refresh.schedule'],
    ['0 9 31 4 *', 'refresh.schedule'],
  ])('%s never fires and is refused', (expression, key) => {
    expect(problem(`refresh:\n  schedule: "${expression}"\n`)).toBe(
      `${FILE}: ${key}: expected a cron expression such as "*/5 * * * *" that fires: this one names a day no month has, got "${expression}"`,
    );
  });

  it('every cron key is checked the same way (daemon, alerts, maintenance windows)', () => {
    expect(problem('daemon:\n  deliver_schedule: "0 0 30 2 *"\n')).toContain('daemon.deliver_schedule: ');
    expect(problem('alerts:\n  evaluate_schedule: "* * * * * * *"\n')).toContain('alerts.evaluate_schedule: ');
    expect(
      problem('alerts:\n  maintenance_windows:\n    - name: x\n      cron: "0 2 30 2 *"\n      duration_minutes: 5\n'),
    ).toContain('alerts.maintenance_windows[0].cron: ');
  });
});

describe('upper bounds: no timer overflows (setTimeout holds at most 2^31-1 ms, 24.8 days)', () => {
  it.each([
    ['daemon', 'shutdown_timeout_seconds', 3600, 'a number of seconds: a whole number from 1 to 3600 (an hour)'],
    ['slack', 'timeout_seconds', 300, 'a number of seconds: a whole number from 1 to 300 (5 minutes)'],
    ['database', 'connect_timeout_seconds', 300, 'a number of seconds: a whole number from 1 to 300 (5 minutes)'],
    ['database', 'statement_timeout_seconds', 86400, 'a number of seconds: a whole number from 1 to 86400 (a day)'],
    ['refresh', 'statement_timeout_seconds', 86400, 'a number of seconds: a whole number from 1 to 86400 (a day)'],
    ['delivery', 'backoff_max_seconds', 86400, 'a number of seconds: a whole number from 1 to 86400 (a day)'],
    ['delivery', 'max_attempts', 100, 'a number of attempts: a whole number from 1 to 100'],
    ['delivery', 'inline_retry_seconds', 600, 'a number of seconds: a whole number from 0 to 600 (10 minutes)'],
    ['daemon', 'catch_up_grace_minutes', 10080, 'a number of minutes: a whole number from 1 to 10080 (a week)'],
    ['database', 'pool_max', 100, 'a pool size: a whole number from 1 to 100'],
    ['email', 'max_connections', 50, 'a number of connections: a whole number from 1 to 50'],
    ['freshness', 'max_data_age_minutes', 43200, 'a number of minutes: a whole number from 1 to 43200 (30 days)'],
  ])('%s.%s: %d is the most', (section, key, max, expected) => {
    const config = parse(`${section}:\n  ${key}: ${max}\n`) as unknown as Record<string, Record<string, unknown>>;
    expect(config[section]![key]).toBe(max);
    expect(problem(`${section}:\n  ${key}: ${max + 1}\n`)).toBe(
      `${FILE}: ${section}.${key}: expected ${expected}, got ${max + 1}`,
    );
  });

  it('the reproducers: a shutdown timeout of 99999999999 s and a Slack timeout of 3000000 s', () => {
    expect(problem('daemon:\n  shutdown_timeout_seconds: 99999999999\n')).toBe(
      `${FILE}: daemon.shutdown_timeout_seconds: expected a number of seconds: a whole number from 1 to 3600 (an hour), got 99999999999`,
    );
    expect(problem('slack:\n  timeout_seconds: 3000000\n')).toBe(
      `${FILE}: slack.timeout_seconds: expected a number of seconds: a whole number from 1 to 300 (5 minutes), got 3000000`,
    );
  });

  it('a weight, a factor and a budget are bounded too (a sum of huge weights is Infinity)', () => {
    expect(problem('health:\n  weights:\n    cost: 1e308\n')).toBe(
      `${FILE}: health.weights.cost: expected a weight: a number from 0 to 1000, got 1e+308`,
    );
    expect(problem('health:\n  weights:\n    cost: .inf\n')).toBe(
      `${FILE}: health.weights.cost: expected a weight: a number from 0 to 1000, got Infinity`,
    );
    expect(problem('budget:\n  monthly_usd: 1e10\n')).toBe(
      `${FILE}: budget.monthly_usd: expected an amount in USD: a number above 0, at most 1000000000, got 10000000000`,
    );
    expect(problem('alerts:\n  rules:\n    success_rate:\n      pending_minutes: 20000\n')).toBe(
      `${FILE}: alerts.rules.success_rate.pending_minutes: expected a number of minutes: a whole number from 0 to 10080 (a week), got 20000`,
    );
  });

  it('backoff_max_seconds below backoff_base_seconds names both keys', () => {
    expect(problem('delivery:\n  backoff_base_seconds: 600\n  backoff_max_seconds: 60\n')).toBe(
      `${FILE}: delivery.backoff_max_seconds: expected at least delivery.backoff_base_seconds (600): the longest wait cannot be shorter than the first, got 60`,
    );
    expect(
      parse('delivery:\n  backoff_base_seconds: 60\n  backoff_max_seconds: 60\n').delivery.backoff_max_seconds,
    ).toBe(60);
  });
});

describe('a listed report named like a built-in one is laid over it', () => {
  it('reports: {daily: {timezone: Europe/Berlin}} is the built-in daily report in Berlin, and the only report', () => {
    const reports = parse('reports:\n  daily:\n    timezone: Europe/Berlin\n').reports;
    expect(Object.keys(reports)).toEqual(['daily']);
    expect(reports.daily).toEqual({
      period: 'day',
      timezone: 'Europe/Berlin',
      top_models: 8,
      schedule: '0 9 * * *',
      sections: ['kpis', 'health', 'movers', 'operations', 'models', 'data_quality'],
      charts: [
        'daily_cost_by_provider',
        'requests_and_success_rate',
        'p95_by_service_type',
        'top_models_by_cost',
        'provider_comparison',
        'health_components',
      ],
      routes: { slack: ['#ai-usage'], email: ['ai-team@example.com'] },
    });
  });

  it('a key set replaces the built-in value whole (routes included); `weekly:` alone is the built-in', () => {
    const reports = parse('reports:\n  daily:\n    routes:\n      slack: ["#costs"]\n  weekly:\n').reports;
    expect(reports.daily!.routes).toEqual({ slack: ['#costs'], email: [] });
    expect(reports.weekly).toMatchObject({
      period: 'week',
      schedule: '0 9 * * 1',
      routes: { slack: [], email: ['stakeholders@example.com'] },
    });
  });

  it('changing the period of a built-in name takes that period’s schedule, sections and charts', () => {
    const daily = parse('reports:\n  daily:\n    period: month\n').reports.daily!;
    expect(daily.period).toBe('month');
    expect(daily.schedule).toBe('0 9 1 * *');
  });

  it('a report with a new name still needs a period', () => {
    expect(problem('reports:\n  monthly:\n    timezone: Europe/Berlin\n')).toBe(
      `${FILE}: reports.monthly.period: expected one of day, week, month (only the built-in reports, daily and weekly, have a period to fall back on)`,
    );
    expect(parse('reports:\n  monthly:\n    period: month\n').reports.monthly!.routes).toEqual({
      slack: [],
      email: [],
    });
  });

  it('a bad value in a built-in report is reported under its name', () => {
    expect(problem('reports:\n  weekly:\n    period: fortnight\n')).toBe(
      `${FILE}: reports.weekly.period: expected one of day, week, month, got "fortnight"`,
    );
  });
});
