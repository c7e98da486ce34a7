import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Database } from './database.ts';
import { Mutex } from './mutex.ts';
import type { Schema } from './schema.ts';

const INT8 = 20;

/** What the driver needs of PGlite: the instance itself, or the same calls answered by its own thread. */
interface Engine {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

/** The messages to and from pglite-thread.js. */
type ThreadRequest = [id: number, kind: 'query', sql: string, params: unknown[]] | [id: number, kind: 'exec', sql: string] | [id: number, kind: 'close'];
type ThreadReply = [id: number, ok: true, rows: unknown[], affectedRows: number | undefined] | [id: number, ok: false, error: Record<string, unknown>];

/** PGlite on a worker thread (pglite-thread.js): each call is one message there and one back. */
class ThreadedPGlite implements Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(r: { rows: unknown[]; affectedRows?: number }): void; reject(e: Error): void }>();
  private nextId = 1;
  private failed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(dataDir: string, postgresqlconf: string[]) {
    this.worker = new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData: { dataDir, postgresqlconf } });
    let opened!: { resolve(): void; reject(e: Error): void };
    this.ready = new Promise((resolve, reject) => (opened = { resolve, reject }));
    this.worker.on('message', ([id, ok, a, b]: ThreadReply) => {
      if (id === 0) return ok ? opened.resolve() : opened.reject(rebuild(a as Record<string, unknown>));
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (ok) p?.resolve({ rows: a as unknown[], affectedRows: b as number | undefined });
      else p?.reject(rebuild(a as Record<string, unknown>));
    });
    const down = (err: Error) => {
      this.failed = err;
      opened.reject(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', down);
    this.worker.on('exit', (code) => down(new Error(`the PGlite thread exited (${code})`)));
  }

  private call(msg: ThreadRequest extends [number, ...infer Rest] ? Rest : never): Promise<{ rows: unknown[]; affectedRows?: number }> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage([id, ...msg]);
    });
  }

  query<R>(sql: string, params: unknown[] = []) {
    return this.call(['query', sql, params]) as Promise<{ rows: R[]; affectedRows?: number }>;
  }

  exec(sql: string) {
    return this.call(['exec', sql]);
  }

  async close() {
    if (this.failed) return;
    await this.call(['close']);
    await this.worker.terminate();
  }
}

/** A database error from the PGlite thread with its fields (code, constraint, …) as PGlite gave them. */
function rebuild(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), fields);
}

/** Diagnostics: statements slower than this (ms) are written to stderr with their time; 0 (the default) writes none. */
const SLOW_SQL_MS = Number(process.env.SLOW_SQL_MS ?? 0);

/**
 * Diagnostics: with SQL_STATS_MS=N, every N ms the statements that took the most time on the connection since the
 * last report (calls, ms, rows), to stderr: what holds the one embedded connection, as pg_stat_statements would say.
 */
const SQL_STATS_MS = Number(process.env.SQL_STATS_MS ?? 0);
const sqlStats = new Map<string, { calls: number; ms: number; rows: number }>();
if (SQL_STATS_MS > 0) {
  setInterval(() => {
    const top = [...sqlStats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
    sqlStats.clear();
    process.stderr.write(`[sql stats] ${new Date().toISOString().slice(11, 19)}\n${top.map(([q, s]) => `  ${s.ms.toFixed(0).padStart(6)} ms ${String(s.calls).padStart(5)} calls ${String(s.rows).padStart(8)} rows  ${q}`).join('\n')}\n`);
  }, SQL_STATS_MS).unref();
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: Engine) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const timed = SLOW_SQL_MS > 0 || SQL_STATS_MS > 0;
    const started = timed ? performance.now() : 0;
    const result = await this.pg.query<R>(query.sql, query.parameters as unknown[]);
    if (timed) {
      const ms = performance.now() - started;
      if (SLOW_SQL_MS > 0 && ms >= SLOW_SQL_MS) process.stderr.write(`[slow sql] ${new Date().toISOString().slice(14, 23)} ${ms.toFixed(0)} ms ${query.sql.replace(/\s+/g, ' ').slice(0, 300)}\n`);
      if (SQL_STATS_MS > 0) {
        const key = query.sql.replace(/\s+/g, ' ').replace(/\$\d+/g, '?').replace(/(\(\?(, \?)*\)(, )?)+/g, '(…)').slice(0, 140);
        const s = sqlStats.get(key) ?? { calls: 0, ms: 0, rows: 0 };
        s.calls++;
        s.ms += ms;
        s.rows += result.rows.length;
        sqlStats.set(key, s);
      }
    }
    return { rows: result.rows, numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on embedded storage');
  }
}

/** Kysely driver over one PGlite instance; the mutex hands the single connection to one user at a time. */
class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private readonly releases = new Map<DatabaseConnection, () => void>();

  constructor(
    private readonly pg: Engine,
    private readonly mutex: Mutex,
  ) {
    this.connection = new PGliteConnection(pg);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.lock();
    this.releases.set(this.connection, release);
    return this.connection;
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const release = this.releases.get(conn);
    this.releases.delete(conn);
    release?.();
  }

  async destroy(): Promise<void> {
    await this.mutex.run(() => this.pg.close());
  }
}

/**
 * Where PGlite runs: on the caller's event loop (the default), or on a worker thread of its own, where its
 * work runs beside HTTP on another core instead of holding it up. Measured on two cores (BENCHMARKS.md), the
 * thread wins only when the machine has a core to give it: an all-orders drop ran ~10 % faster, a mixed drop
 * (three refusals to one order) was no faster and its tail longer, the PGlite thread competing with the HTTP
 * thread and the load generator for the two cores.
 */
export type PGliteThread = 'main' | 'worker';

/**
 * PostgreSQL's shared_buffers for PGlite, in MB, when not set (PGLITE_SHARED_BUFFERS_MB): a quarter of the data
 * already there, at least PostgreSQL's own default (128 MB), at most 1 GB and an eighth of the machine's memory. A page
 * not in them is read through the WebAssembly file system, a system call and a copy each: the feed bench's reads of
 * friends' acts over a 3.8 GB database spent 0.4 s a second there, and its ranked page p99 went from ~40 to 30 ms with
 * 1 GB. The buffers are the process's memory from the start (1 GB: ~0.9 GB more resident), so a small database (a
 * demo, a test) keeps the default; a database that grows gets more at the next start.
 */
export function sharedBuffersFor(dataDir: string): number {
  const quarterOfData = Math.floor(directoryBytes(dataDir) / 4 / 1048576);
  return Math.max(128, Math.min(quarterOfData, 1024, Math.floor(totalmem() / 8 / 1048576)));
}

function directoryBytes(dir: string): number {
  let bytes = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) bytes += directoryBytes(path);
    else if (e.isFile()) bytes += statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  }
  return bytes;
}

export async function openEmbeddedDatabase(dataDir: string, thread: PGliteThread = 'main', sharedBuffersMb: number | null = null): Promise<Database> {
  const postgresqlconf = [`shared_buffers = ${sharedBuffersMb ?? sharedBuffersFor(dataDir)}MB`];
  mkdirSync(dataDir, { recursive: true });
  let pg: Engine;
  if (thread === 'worker') {
    const threaded = new ThreadedPGlite(dataDir, postgresqlconf);
    await threaded.ready;
    pg = threaded;
  } else {
    pg = await PGlite.create({ dataDir, parsers: { [INT8]: (v: string) => Number(v) }, extensions: { pg_trgm }, postgresqlconf });
  }
  const mutex = new Mutex();
  const db = new Kysely<Schema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new PGliteDriver(pg, mutex),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const lockMutex = new Mutex();
  return {
    mode: 'embedded',
    db,
    script: (text) =>
      mutex.run(async () => {
        try {
          await pg.exec(`begin;\n${text}\n;commit;`);
        } catch (err) {
          await pg.exec('rollback').catch(() => undefined);
          throw err;
        }
      }),
    withLock: (_key, fn) => lockMutex.run(fn),
    ping: async () => {
      try {
        await mutex.run(() => pg.query('select 1'));
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}
