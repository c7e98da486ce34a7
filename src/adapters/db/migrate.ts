import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.ts';

const MODULES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../modules');
const MIGRATION_LOCK = 72_011_001;

export interface Migration {
  name: string;
  text: string;
}

/** Every module's migrations/NNNN_name.sql, ordered by their number across modules. */
export function findMigrations(modulesDir = MODULES_DIR): Migration[] {
  const found: Migration[] = [];
  for (const mod of readdirSync(modulesDir, { withFileTypes: true })) {
    if (!mod.isDirectory()) continue;
    const dir = join(modulesDir, mod.name, 'migrations');
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of files.filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))) {
      found.push({ name: basename(file, '.sql'), text: readFileSync(join(dir, file), 'utf8') });
    }
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  const numbers = found.map((m) => m.name.slice(0, 4));
  const dup = numbers.find((n, i) => numbers.indexOf(n) !== i);
  if (dup) throw new Error(`two migrations share the number ${dup}`);
  return found;
}

/** Applies pending migrations, each atomically with its bookkeeping row; safe when several nodes start at once. */
export async function migrate(database: Database, migrations = findMigrations()): Promise<string[]> {
  return database.withLock(MIGRATION_LOCK, async () => {
    await database.script('create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())');
    const rows = await sql<{ name: string }>`select name from schema_migrations`.execute(database.db);
    const applied = new Set(rows.rows.map((r) => r.name));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await database.script(`${m.text}\n;insert into schema_migrations (name) values ('${m.name}');`);
      done.push(m.name);
    }
    return done;
  });
}
