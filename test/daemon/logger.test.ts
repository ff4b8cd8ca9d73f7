import { describe, expect, it } from 'vitest';
import { PulsebotError } from '../../src/errors.js';
import { createLogger, lineDestination, logLevelFromEnv, scoped } from '../../src/daemon/logger.js';
import { redact } from '../../src/redact.js';

async function capture(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const log = await createLogger({
    level,
    pretty: false,
    destination: lineDestination((l) => lines.push(l)),
    base: { instance: 'host:1:abc' },
  });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes one JSON object per line with level name, ISO time, instance and scope', async () => {
    const { log, lines, records } = await capture();
    scoped(scoped(log, { job: 'report:daily' }), { report: 'daily', channel: 'slack' }).info(
      { event: 'x', n: 3 },
      'hello',
    );
    log.debug('not at info');
    expect(lines).toHaveLength(1);
    const [r] = records();
    expect(r).toMatchObject({
      level: 'info',
      instance: 'host:1:abc',
      job: 'report:daily',
      report: 'daily',
      channel: 'slack',
      event: 'x',
      n: 3,
      msg: 'hello',
    });
    expect(new Date(String(r!.time)).toISOString()).toBe(r!.time);
  });

  it('redacts secret-looking keys and secrets inside text', async () => {
    const { log, lines } = await capture();
    log.info(
      {
        token: 'xoxb-1111-2222-abcdef',
        nested: { password: 'hunter2', apiKey: 'k-123', url: 'postgres://app:pa55word@db:5432/x' },
        error: 'connect failed for smtp://mailer:s3cret@smtp.example.com:587 with Bearer abc.def',
      },
      'token=zzz-secret-1 and xoxp-9999-8888 in the message',
    );
    const text = lines.join('\n');
    for (const secret of [
      'xoxb-1111-2222-abcdef',
      'hunter2',
      'k-123',
      'pa55word',
      's3cret',
      'abc.def',
      'zzz-secret-1',
      'xoxp-9999-8888',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('postgres://app:***@db:5432/x');
    expect(text).toContain('smtp://mailer:***@smtp.example.com:587');
  });

  it('scrubs an Error passed as a field (message and stack), keeping its name and code', async () => {
    const { log, records } = await capture();
    const error = Object.assign(new Error('auth failed for postgres://u:topsecret@h/db'), { code: '28P01' });
    log.error({ err: error }, 'boom');
    const [r] = records();
    expect(JSON.stringify(r)).not.toContain('topsecret');
    expect(r!.err).toMatchObject({ name: 'Error', code: '28P01', message: 'auth failed for postgres://u:***@h/db' });
  });

  it('PULSEBOT_LOG_LEVEL: default info, names accepted in any case, anything else refused (exit 2)', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ PULSEBOT_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevelFromEnv({ PULSEBOT_LOG_LEVEL: 'silent' })).toBe('silent');
    const error = (() => {
      try {
        logLevelFromEnv({ PULSEBOT_LOG_LEVEL: 'loud' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PulsebotError);
    expect((error as PulsebotError).code).toBe('ENV_INVALID');
  });

  it('the redaction leaves ordinary text alone', () => {
    expect(redact('refresh finished in 120 ms; see https://dash.example.com/x?y=1')).toBe(
      'refresh finished in 120 ms; see https://dash.example.com/x?y=1',
    );
  });
});
