import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
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

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pg.query<R>(query.sql, query.parameters as unknown[]);
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
    private readonly pg: PGlite,
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

export async function openEmbeddedDatabase(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ dataDir, parsers: { [INT8]: (v: string) => Number(v) } });
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
