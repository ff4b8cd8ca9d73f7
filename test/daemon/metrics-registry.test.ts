import { describe, expect, it } from 'vitest';
import { countDelivery, createDaemonMetrics } from '../../src/daemon/daemon-metrics.js';
import { MetricsRegistry } from '../../src/daemon/metrics-registry.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

describe('metrics registry', () => {
  it('writes counters, gauges and histograms in the text format, label values escaped', () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_requests_total', 'Requests.\nSecond line', ['path']);
    c.inc({ path: '/a"b\\c\nd' });
    c.inc({ path: '/a"b\\c\nd' }, 2);
    const g = r.gauge('t_temperature', 'Temperature.');
    g.set({}, -3.5);
    const h = r.histogram('t_seconds', 'Durations.', ['job'], [0.1, 1, 10]);
    h.observe({ job: 'x' }, 0.05);
    h.observe({ job: 'x' }, 0.5);
    h.observe({ job: 'x' }, 50);

    const text = r.expose();
    expect(text).toContain('# HELP t_requests_total Requests.\\nSecond line\n');
    expect(text).toContain('t_requests_total{path="/a\\"b\\\\c\\nd"} 3\n');
    const families = parsePrometheusText(text);
    expect(sampleValue(families, 't_requests_total', { path: '/a"b\\c\nd' })).toBe(3);
    expect(sampleValue(families, 't_temperature')).toBe(-3.5);
    expect(families.get('t_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 't_seconds_bucket', { job: 'x', le: '0.1' })).toBe(1);
    expect(sampleValue(families, 't_seconds_bucket', { job: 'x', le: '1' })).toBe(2);
    expect(sampleValue(families, 't_seconds_bucket', { job: 'x', le: '10' })).toBe(2);
    expect(sampleValue(families, 't_seconds_bucket', { job: 'x', le: '+Inf' })).toBe(3);
    expect(sampleValue(families, 't_seconds_count', { job: 'x' })).toBe(3);
    expect(sampleValue(families, 't_seconds_sum', { job: 'x' })).toBeCloseTo(50.55);
  });

  it('refuses unknown labels, duplicate names and decreasing counters', () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_total', 'x', ['a']);
    expect(() => c.inc({ b: '1' })).toThrow(/no label b/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot decrease/);
    expect(() => r.gauge('t_total', 'again')).toThrow(/registered twice/);
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
  });

  it('daemon metrics: process figures at scrape time, delivery events counted, alert states replaced', () => {
    const startedAt = new Date('2026-11-02T10:00:00Z');
    let now = new Date('2026-11-02T10:01:30Z');
    const m = createDaemonMetrics({
      startedAt,
      now: () => now,
      memory: () => ({ rss: 50_000_000, heapUsed: 20_000_000, heapTotal: 0, external: 0, arrayBuffers: 0 }),
    });
    countDelivery(m, { level: 'info', event: 'outbox.sent', channel: 'slack' });
    countDelivery(m, { level: 'warn', event: 'outbox.retry', channel: 'email' });
    countDelivery(m, { level: 'info', event: 'outbox.failure_notice' });
    m.setAlertStates([
      { rule: 'success_rate', scope: 'all', state: 'firing' },
      { rule: 'provider_success_rate', scope: 'provider=openai', state: 'pending' },
    ]);
    m.setAlertStates([{ rule: 'success_rate', scope: 'all', state: 'ok' }]);

    const f = parsePrometheusText(m.registry.expose());
    expect(sampleValue(f, 'pulsebot_deliveries_total', { channel: 'slack', outcome: 'sent' })).toBe(1);
    expect(sampleValue(f, 'pulsebot_deliveries_total', { channel: 'email', outcome: 'retry' })).toBe(1);
    expect(f.get('pulsebot_deliveries_total')?.samples).toHaveLength(2);
    expect(f.get('pulsebot_alert_state')?.samples).toEqual([
      { name: 'pulsebot_alert_state', labels: { rule: 'success_rate', scope: 'all', state: 'ok' }, value: 1 },
    ]);
    expect(sampleValue(f, 'process_resident_memory_bytes')).toBe(50_000_000);
    expect(sampleValue(f, 'pulsebot_uptime_seconds')).toBe(90);
    now = new Date('2026-11-02T10:02:00Z');
    expect(sampleValue(parsePrometheusText(m.registry.expose()), 'pulsebot_uptime_seconds')).toBe(120);
  });
});
