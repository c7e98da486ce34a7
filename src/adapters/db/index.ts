import { join } from 'node:path';
import type { Database } from './database.ts';
import { openEmbeddedDatabase, type PGliteThread } from './embedded.ts';
import { openServerDatabase } from './server.ts';

export type { Database, Db } from './database.ts';

/** DATABASE_URL selects a PostgreSQL server; otherwise embedded PGlite under DATA_DIR. */
export function openDatabase(opts: { databaseUrl: string | null; dataDir: string; pgliteThread?: PGliteThread }): Promise<Database> {
  return opts.databaseUrl ? openServerDatabase(opts.databaseUrl) : openEmbeddedDatabase(join(opts.dataDir, 'pglite'), opts.pgliteThread);
}
