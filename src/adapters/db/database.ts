import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** The storage adapter: one typed query builder over either embedded PGlite or a PostgreSQL server. */
export interface Database {
  readonly mode: 'embedded' | 'server';
  readonly db: Kysely<Schema>;
  /** Runs a multi-statement SQL script atomically (simple-query protocol). */
  script(text: string): Promise<void>;
  /** Runs fn while holding a cluster-wide exclusive lock (a PostgreSQL advisory lock; a mutex when embedded). */
  withLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type Db = Kysely<Schema>;
