// Opens the analytics store the configuration names. The engines are imported only when chosen: DuckDB's native
// library is loaded by a node that uses it, not by every node.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../../adapters/db/index.ts';
import type { AnalyticsStore } from './types.ts';

export type { AnalyticsStore } from './types.ts';

export async function openAnalyticsStore(opts: { engine: 'duckdb' | 'postgres'; dataDir: string; db: Db }): Promise<AnalyticsStore> {
  if (opts.engine === 'postgres') return (await import('./postgres.ts')).openPostgresStore(opts.db);
  const dir = join(opts.dataDir, 'analytics');
  await mkdir(dir, { recursive: true });
  return (await import('./duckdb.ts')).openDuckDbStore({ path: join(dir, 'analytics.duckdb') });
}
