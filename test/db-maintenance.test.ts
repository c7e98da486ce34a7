// The embedded database's statistics job (src/adapters/db/maintenance.ts): a table grown past 10 % since its last
// ANALYZE is analyzed, the stalest first, one a run; then the planner knows its size. Real database (embedded, or the
// server in CI, where the same function works though only embedded nodes run it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/adapters/db/index.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { analyzeStalest } from '../src/adapters/db/maintenance.ts';
import { freshStorage } from './support/harness.ts';

test('a table filled since its statistics were taken is analyzed, and the planner then counts its rows', async () => {
  const storage = await freshStorage();
  const database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL || null, dataDir: storage.env.DATA_DIR! });
  try {
    await migrate(database);
    const { db } = database;
    // Whatever the migrations left stale first, then nothing is.
    for (let i = 0; i < 200 && (await analyzeStalest(db)) !== null; i++);
    assert.equal(await analyzeStalest(db), null, 'nothing left past the threshold');

    await sql`create table maintenance_probe (id int primary key, at timestamptz not null, note text)`.execute(db);
    await sql`analyze maintenance_probe`.execute(db);
    await sql`insert into maintenance_probe select g, now() - g * interval '1 second', repeat('x', 40) from generate_series(1, 50000) g`.execute(db);
    const estimate = async () => (await sql<{ n: number }>`select reltuples::float8 as n from pg_class where relname = 'maintenance_probe'`.execute(db)).rows[0]!.n;
    assert.ok((await estimate()) <= 0, 'before: the statistics say the table is empty');

    assert.equal(await analyzeStalest(db), 'maintenance_probe');
    const after = await estimate();
    assert.ok(Math.abs(after - 50_000) < 2_500, `after: about 50,000 rows estimated (${after})`);
    assert.equal(await analyzeStalest(db), null, 'analyzed once, not again');

    // Grown by less than the threshold: left alone; past it: analyzed again.
    await sql`insert into maintenance_probe select g, now(), 'y' from generate_series(50001, 51000) g`.execute(db);
    assert.equal(await analyzeStalest(db), null);
    await sql`insert into maintenance_probe select g, now(), repeat('z', 40) from generate_series(51001, 70000) g`.execute(db);
    assert.equal(await analyzeStalest(db), 'maintenance_probe');
  } finally {
    await database.close();
    await storage.dispose();
  }
});
