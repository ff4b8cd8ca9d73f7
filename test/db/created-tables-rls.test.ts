import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.js';
import { loadSchemaSource, migrate } from '../../src/db/migrate.js';
import { TARGETS, freshDatabase } from '../support/databases.js';

/**
 * An install from before migration 000002, where the application was granted rights on the
 * api_usage pulsebot created: the upgrade turns row-level security on and the application keeps
 * writing, while a role without a grant (Supabase's anon) gets nothing, grant or not.
 */
describe.each(TARGETS)('row-level security on the tables pulsebot created (%s)', (target) => {
  let db: Database;
  const suffix = `${process.pid}_${Date.now()}`;
  const app = `pb_app_${suffix}`;
  const stranger = `pb_stranger_${suffix}`;

  beforeAll(async () => {
    db = await freshDatabase(target, { migrated: false });
    const source = loadSchemaSource();
    // The baseline's tables; of today's definitions only what migrate itself calls (the others
    // may need columns of later migrations).
    await migrate(db.sql, {
      migrations: source.migrations.slice(0, 1),
      definitions: source.definitions.filter((d) => d.path === 'functions/apply_access.sql'),
    });
    await db.sql.unsafe(`
      create role ${app} nologin;
      create role ${stranger} nologin;
      grant usage on schema public to ${app}, ${stranger};
      grant select, insert on public.api_usage to ${app};`);
    await migrate(db.sql, source);
    // Granted after the upgrade, as default privileges would: row-level security still says no.
    await db.sql.unsafe(`grant select, insert on public.api_usage, public.user_subscriptions to ${stranger}`);
  });
  afterAll(async () => {
    await db.sql
      .unsafe(`drop owned by ${app}; drop owned by ${stranger}; drop role ${app}; drop role ${stranger}`)
      .catch(() => {});
    await db.close();
  });

  const as = (role: string, statement: string) =>
    db.sql
      .begin(async (tx) => {
        await tx.unsafe(`set local role ${role}`);
        return (await tx.unsafe(statement)).count;
      })
      .catch((e: { code?: string }) => e.code);

  it('turns it on for both tables', async () => {
    const rows = await db.sql<{ rel: string; rls: boolean }[]>`
      select relname as rel, relrowsecurity as rls from pg_class
      where oid in ('public.api_usage'::regclass, 'public.user_subscriptions'::regclass) order by 1`;
    expect(rows).toEqual([
      { rel: 'api_usage', rls: true },
      { rel: 'user_subscriptions', rls: true },
    ]);
  });

  it('keeps the writer that held a grant before the upgrade writing and reading', async () => {
    const insert = `insert into public.api_usage (provider, service_type, model, cost_usd, success)
                    values ('openai', 'content', 'gpt-4o', 0.01, true)`;
    expect(await as(app, insert)).toBe(1);
    expect(await as(app, 'select 1 from public.api_usage')).toBe(1);
  });

  it('gives a role granted later nothing: its insert is refused and it reads no row', async () => {
    expect(
      await as(
        stranger,
        `insert into public.api_usage (provider, service_type, model, cost_usd, success)
         values ('x', 'content', 'x', 50000, true)`,
      ),
    ).toBe('42501');
    expect(await as(stranger, 'select 1 from public.api_usage')).toBe(0);
    expect(
      await as(
        stranger,
        `insert into public.user_subscriptions (plan, status, monthly_amount_usd) values ('pro', 'active', 50000)`,
      ),
    ).toBe('42501');
  });
});
