import { join } from 'node:path';
import type { Database } from './database.ts';
import { openEmbeddedDatabase, type PGliteThread } from './embedded.ts';

export type { Database, Db } from './database.ts';

/** DATABASE_URL selects a PostgreSQL server (its client loaded only then: a start is shorter without it); otherwise embedded PGlite under DATA_DIR. */
export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string; pgliteThread?: PGliteThread; pgliteSharedBuffersMb?: number | null }): Promise<Database> {
  return opts.databaseUrl
    ? (await import('./server.ts')).openServerDatabase(opts.databaseUrl)
    : openEmbeddedDatabase(join(opts.dataDir, 'pglite'), opts.pgliteThread, opts.pgliteSharedBuffersMb);
}
