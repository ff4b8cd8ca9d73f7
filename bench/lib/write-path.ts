// The refresh bench's write path: single-row INSERTs per second from pgbench (4 clients × 10 s),
// without capture, with the plainest delta-log trigger and with pulsebot's capture.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../src/db/connect.js';
import { CAPTURE } from './dataset.js';

export type Capture = 'none' | 'reference' | 'pulsebot';

const RUNS = 5;
const SECONDS = 10;

/**
 * The reference point: the plainest delta-log capture (a statement-level trigger copying
 * the inserted rows, as they are, into a log without indexes). Measured beside pulsebot's, so the
 * overhead can be read against what a delta log costs on this machine today.
 */
export const REFERENCE_TRIGGER = 'bench_reference_capture';
const referenceSetup = `
  drop trigger if exists ${REFERENCE_TRIGGER} on public.api_usage;
  create table if not exists bench_old.reference_log (like public.api_usage);
  create or replace function bench_old.reference_capture() returns trigger language plpgsql as $$
  begin
    insert into bench_old.reference_log select * from new_rows;
    return null;
  end $$;
  create trigger ${REFERENCE_TRIGGER} after insert on public.api_usage referencing new table as new_rows
    for each statement execute function bench_old.reference_capture();
  alter table public.api_usage disable trigger ${REFERENCE_TRIGGER};`;

function pgbench(url: string, seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'pulsebot-pgbench-'));
  try {
    const script = join(dir, 'insert.sql');
    writeFileSync(
      script,
      [
        '\\set u random(1, 5000)',
        '\\set lat random(200, 4000)',
        'INSERT INTO public.api_usage (user_id, provider, service_type, model, input_tokens, output_tokens, cost_usd, latency_ms, success) ' +
          "VALUES (md5(:u::text)::uuid, 'openai', 'content', 'gpt-4o-mini', 800, 300, 0.0003, :lat, true);",
      ].join('\n'),
    );
    const out = execFileSync('pgbench', ['-n', '-f', script, '-c', '4', '-j', '2', '-T', String(seconds), url], {
      encoding: 'utf8',
    });
    const m = /tps = ([\d.]+)/.exec(out);
    if (!m) throw new Error(`pgbench printed no tps:\n${out}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Inserts per second of each setup, RUNS runs each, alternating. `url` is the dataset's database. */
export async function measureWritePath(sql: Sql, url: string): Promise<Record<Capture, number[]>> {
  await sql.unsafe(referenceSetup);
  const use = async (capture: Capture) => {
    for (const t of CAPTURE)
      await sql.unsafe(`alter table public.api_usage ${capture === 'pulsebot' ? 'enable' : 'disable'} trigger ${t}`);
    await sql.unsafe(
      `alter table public.api_usage ${capture === 'reference' ? 'enable' : 'disable'} trigger ${REFERENCE_TRIGGER}`,
    );
  };
  const tps: Record<Capture, number[]> = { none: [], reference: [], pulsebot: [] };
  // Alternating, each run after a checkpoint, so drift (checkpoints, the machine's neighbours) hits
  // every side alike. One 10-second run to the next swings by ±15% here.
  for (let i = 0; i < RUNS; i++) {
    for (const capture of ['none', 'reference', 'pulsebot'] as const) {
      await use(capture);
      await sql`checkpoint`;
      const [{ last }] = (await sql`select coalesce(max(id), 0)::bigint as last from public.api_usage`) as unknown as [
        { last: number },
      ];
      tps[capture].push(pgbench(url, SECONDS));
      console.log(`  write path, run ${i + 1}/${RUNS}, ${capture}: ${tps[capture].at(-1)!.toFixed(0)} tps`);
      if (capture === 'pulsebot') {
        await sql`select * from public.refresh_analytics_views()`;
      } else {
        // Rows written without pulsebot's capture never reached the rollups: remove them while it
        // is still off, or deleting them later would take them out of numbers they were never in.
        await sql`delete from public.api_usage where id > ${last}`;
        await sql`truncate bench_old.reference_log`;
      }
    }
  }
  await use('pulsebot');
  await sql.unsafe(
    `drop trigger ${REFERENCE_TRIGGER} on public.api_usage; drop table bench_old.reference_log; drop function bench_old.reference_capture()`,
  );
  return tps;
}
