import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PulsebotError } from '../errors.js';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM) served over a loopback socket by
 * pglite-socket, so the very same postgres.js code talks to it as to a real server. One process
 * owns a data directory at a time (PGlite has no locking of its own; two writers corrupt it).
 */
export interface EmbeddedServer {
  host: string;
  port: number;
  db: PGlite;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Persist under this directory; omit for an in-memory database. */
  dataDir?: string | undefined;
  /** Start from a dump made by `PGlite.dumpDataDir()` (a backup, or a migrated template). */
  loadDataDir?: Blob | undefined;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const release = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(options.dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
    // Queries from every client run on PGlite's single session, queued per transaction.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await server.start();
    const [host, port] = server.getServerConn().split(':');
    const opened = db;
    return {
      host: host!,
      port: Number(port),
      db: opened,
      async stop() {
        try {
          await server.stop();
          await opened.close();
        } finally {
          release();
        }
      },
    };
  } catch (cause) {
    // Best-effort cleanup on a path that throws the opening failure below; a second error would hide it.
    await db?.close().catch(() => {});
    release();
    if (cause instanceof PulsebotError) throw cause;
    throw new PulsebotError(
      'DB_CONNECT',
      `cannot open the embedded database in ${options.dataDir ?? 'memory'}: ${String((cause as Error)?.message ?? cause)}`,
      {
        cause,
        hint: 'the directory may be damaged or written by another PGlite version; move it aside or set PULSEBOT_DATA_DIR',
      },
    );
  }
}

function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'pulsebot.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new PulsebotError('DB_LOCKED', `the embedded database in ${dataDir} is in use by process ${holder}`, {
          hint: 'stop that process, or set DATABASE_URL to a PostgreSQL server to run several pulsebot processes at once',
        });
      }
      // A lock left behind by a process that died: take it over.
      rmSync(lockPath, { force: true });
    }
  }
  throw new PulsebotError('DB_LOCKED', `cannot lock the embedded database in ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
