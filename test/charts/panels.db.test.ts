import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { renderPanels } from '../../src/charts/panels.js';
import type { Database } from '../../src/db/connect.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

const period = { start: new Date('2026-11-23T00:00:00Z'), end: new Date('2026-11-24T00:00:00Z'), timeZone: 'UTC' };
const barSpec = {
  mark: 'bar',
  encoding: { x: { field: 'provider', type: 'nominal' }, y: { field: 'cost', type: 'quantitative' } },
};

describe.each(TARGETS)('custom panels on %s', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(target);
    await db.sql`insert into public.api_usage (created_at, provider, service_type, model, cost_usd, success)
                 values ('2026-11-23T10:00:00Z', 'openai', 'content', 'gpt-4o', 2, true),
                        ('2026-11-23T11:00:00Z', 'runway', 'video', 'gen-3-alpha', 5, true),
                        ('2026-11-22T11:00:00Z', 'runway', 'video', 'gen-3-alpha', 99, true)`;
  });
  afterAll(() => db.close());

  it('runs the query with the period as parameters and renders its rows', async () => {
    const [r] = await renderPanels(
      db.sql,
      {
        cost: {
          sql: 'select provider, sum(cost_usd) as cost from api_usage where created_at >= $1 and created_at < $2 group by 1',
          spec: barSpec,
          timeout_seconds: 10,
        },
      },
      period,
    );
    expect(r).toMatchObject({ name: 'cost', ok: true, rows: 2 });
    if (!r!.ok) throw new Error(r!.error);
    const meta = await sharp(r!.png).metadata();
    expect([meta.format, meta.width]).toEqual(['png', r!.width]);
  });

  it('names the panel on bad SQL, a write attempt or a bad spec, and still renders the others', async () => {
    const results = await renderPanels(
      db.sql,
      {
        broken: { sql: 'select nope from nowhere', spec: barSpec, timeout_seconds: 10 },
        writer: {
          sql: "delete from api_usage where provider = 'openai' returning 1 as x",
          spec: barSpec,
          timeout_seconds: 10,
        },
        bad_spec: { sql: 'select 1 as x', spec: { mark: 'no-such-mark' }, timeout_seconds: 10 },
        // The spec's own data is always replaced by the rows; an image mark's URL is refused.
        sneaky: {
          sql: "select 'x' as u",
          spec: { mark: 'image', encoding: { url: { value: 'file:///etc/passwd' } } },
          timeout_seconds: 10,
        },
        fine: {
          sql: 'select $3::text as zone, 1 as n',
          spec: {
            mark: 'bar',
            encoding: { x: { field: 'zone', type: 'nominal' }, y: { field: 'n', type: 'quantitative' } },
          },
          timeout_seconds: 10,
        },
      },
      period,
    );
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName.broken).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^panel "broken": query failed: .*nowhere/),
    });
    expect(byName.writer).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^panel "writer": query failed: .*read-only/),
    });
    expect(byName.bad_spec).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^panel "bad_spec": chart failed/),
    });
    expect(byName.sneaky).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^panel "sneaky": chart failed: .*files or URLs/),
    });
    expect(byName.fine).toMatchObject({ ok: true, rows: 1 });
    const [{ n }] = (await db.sql`select count(*)::int as n from api_usage where provider = 'openai'`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(1);
  });

  it('renders a "no data" image for an empty result', async () => {
    const [r] = await renderPanels(
      db.sql,
      { empty: { sql: 'select 1 as x where false', spec: barSpec, timeout_seconds: 10 } },
      period,
    );
    expect(r).toMatchObject({ ok: true, rows: 0 });
  });

  it.runIf(target === 'postgres')('cancels a query slower than its timeout', async () => {
    const [r] = await renderPanels(
      db.sql,
      { slow: { sql: 'select pg_sleep(3) as x', spec: barSpec, timeout_seconds: 1 } },
      period,
    );
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^panel "slow": query failed: .*(timeout|cancel)/i),
    });
  });
});

describe('panel config', () => {
  it('validates panels and names the key of a mistake', () => {
    const ok = parseConfigText('panels:\n  cost:\n    sql: select 1\n    spec: { mark: bar }\n', 'f.yaml', {});
    expect(ok.panels.cost).toEqual({ sql: 'select 1', spec: { mark: 'bar' }, timeout_seconds: 10 });
    const error = (() => {
      try {
        parseConfigText('panels:\n  cost:\n    query: select 1\n    spec: { mark: bar }\n', 'f.yaml', {});
      } catch (e) {
        return e as { message: string; hint?: string };
      }
      throw new Error('expected an error');
    })();
    expect(`${error.message}\n${error.hint}`).toMatch(/panels\.cost\.query: unknown key/);
    expect(error.message).toMatch(/panels\.cost\.sql/);
    expect(() =>
      parseConfigText('panels:\n  Cost:\n    sql: select 1\n    spec: { mark: bar }\n', 'f.yaml', {}),
    ).toThrow(/panels/);
  });
});
