// The analytics tailer (src/modules/analytics/tailer.ts) on a table with more rows of one instant than a tick reads:
// 2,500 follows written by one statement share one created_at to the microsecond. Before, each tick read the same
// first page again from its watermark and the rest were never counted; now the tail pages through by (time, key), a
// tick stops after its slices and the next goes on from there. Real database (embedded, or the server in CI), real
// DuckDB store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/adapters/db/index.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { RowTailer } from '../src/modules/analytics/tailer.ts';
import { openDuckDbStore } from '../src/modules/analytics/store/duckdb.ts';
import type { AnalyticsEvent } from '../src/modules/analytics/store/types.ts';
import { freshStorage } from './support/harness.ts';

const FOLLOWERS = 2500;

test('a tail of 2,500 rows of one instant, 100 a statement and 2 statements a tick, counts each row once', async () => {
  const storage = await freshStorage();
  const database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL || null, dataDir: storage.env.DATA_DIR! });
  const store = await openDuckDbStore({ path: ':memory:' });
  try {
    await migrate(database);
    const { db } = database;
    await sql`insert into users (id, handle, display_name, password_hash, role, created_at)
              select 'tu' || lpad(g::text, 5, '0'), 'tailer_' || g, 'T ' || g, 'x', 'user', now() from generate_series(0, ${FOLLOWERS}) g`.execute(db);
    // One statement: every follow of the star has the same now().
    await sql`insert into follows (follower_id, followee_type, followee_id, created_at)
              select 'tu' || lpad(g::text, 5, '0'), 'user', 'tu00000', now() from generate_series(1, ${FOLLOWERS}) g`.execute(db);
    const instants = await sql<{ n: number }>`select count(distinct created_at)::int as n from follows`.execute(db);
    assert.equal(instants.rows[0]!.n, 1, 'the follows share one instant');

    const tailer = new RowTailer(db, store, { slice: 100, slicesPerTick: 2 });
    await tailer.open();
    const counts: number[] = [];
    const behind: boolean[] = [];
    for (let tick = 0; tick < 20; tick++) {
      await tailer.tick();
      counts.push(tailer.appended);
      behind.push(tailer.behind);
    }
    // Behind after each tick that stopped at its slice limit; caught up once the rest fit in a tick.
    assert.deepEqual(behind.slice(0, 13), [...Array.from({ length: 12 }, () => true), false]);
    // 200 new facts a tick until all are in, then nothing new (the overlap is read again, and skipped).
    assert.deepEqual(counts.slice(0, 13), [...Array.from({ length: 12 }, (_, i) => 200 * (i + 1)), FOLLOWERS]);
    assert.equal(tailer.appended, FOLLOWERS);

    const facts: AnalyticsEvent[] = [];
    await store.exportEvents({ from: 0, to: Date.now() + 60_000 }, (page) => void facts.push(...page));
    const follows = facts.filter((f) => f.type === 'follow');
    assert.equal(follows.length, FOLLOWERS, 'every follow is a fact');
    assert.equal(new Set(follows.map((f) => f.actor)).size, FOLLOWERS, 'each follower once');
    assert.ok(follows.every((f) => f.creatorId === 'tu00000'));
  } finally {
    await store.close();
    await database.close();
    await storage.dispose();
  }
});
