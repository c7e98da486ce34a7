// The embedded storage adapter on both of its threads: PGlite on a worker thread of its own (the default)
// and on the caller's event loop (PGLITE_THREAD=main). Both must answer the same rows, with the same types,
// fail with the same database error fields (the services read `code` to tell a unique violation), roll back
// what a failed transaction or script wrote, and keep what they committed across a reopen of the data dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { openEmbeddedDatabase, sharedBuffersFor, type PGliteThread } from '../src/adapters/db/embedded.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { ROOT } from './support/harness.ts';

mkdirSync(join(ROOT, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(ROOT, '.tmp', 'thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const threads: PGliteThread[] = ['worker', 'main'];

for (const [i, thread] of threads.entries()) {
  test(`embedded storage, PGlite on the ${thread} thread`, async () => {
    // The same data dir both times: the second run reopens what the first committed, on the other thread.
    const database = await openEmbeddedDatabase(join(dir, 'pglite'), thread);
    try {
      const { db } = database;
      if (i === 0) {
        await database.script(`create table t (id text primary key, n bigint not null, at timestamptz not null, doc jsonb not null);`);
      }
      const at = new Date('2026-12-02T06:00:00.000Z');
      await sql`insert into t values (${`row-${thread}`}, ${2 ** 40}, ${at}, ${JSON.stringify({ a: [1, 'x'] })})`.execute(db);

      const rows = (await sql<{ id: string; n: number; at: Date; doc: unknown }>`select * from t order by id`.execute(db)).rows;
      assert.deepEqual(
        rows.map((r) => r.id),
        threads.slice(0, i + 1).map((t) => `row-${t}`).sort(),
        'rows committed on the other thread before the reopen are there',
      );
      const mine = rows.find((r) => r.id === `row-${thread}`)!;
      assert.equal(mine.n, 2 ** 40, 'int8 arrives as a number');
      assert.ok(mine.at instanceof Date && mine.at.getTime() === at.getTime(), 'timestamptz arrives as a Date');
      assert.deepEqual(mine.doc, { a: [1, 'x'] }, 'jsonb arrives parsed');

      const dup = await sql`insert into t values (${`row-${thread}`}, 1, now(), '{}')`.execute(db).then(
        () => null,
        (err: unknown) => err as { code?: string; constraint?: string; message?: string },
      );
      assert.ok(dup, 'a duplicate key is refused');
      assert.equal(dup.code, '23505');
      assert.equal(dup.constraint, 't_pkey');
      assert.match(String(dup.message), /duplicate key/);

      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`insert into t values ('in-rolled-back-trx', 1, now(), '{}')`.execute(trx);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      await assert.rejects(database.script(`insert into t values ('in-failed-script', 1, now(), '{}'); select 1/0;`), /division by zero/);
      const left = (await sql<{ id: string }>`select id from t where id like 'in-%'`.execute(db)).rows;
      assert.deepEqual(left, [], 'neither the rolled-back transaction nor the failed script left a row');
      assert.equal(await database.ping(), true);
    } finally {
      await database.close();
    }
  });
}

test("shared_buffers: a quarter of the data at start, between PostgreSQL's 128 MB and 1 GB (or an eighth of the memory); or as set, on either thread", async () => {
  const sized = join(dir, 'sized');
  mkdirSync(join(sized, 'base', '1'), { recursive: true });
  assert.equal(sharedBuffersFor(join(dir, 'none')), 128, 'no data yet');
  writeFileSync(join(sized, 'base', '1', 'small'), 'x'.repeat(1000));
  assert.equal(sharedBuffersFor(sized), 128, 'a small database keeps the default');
  // Sparse files: their size counts, no disk is used.
  truncateSync(join(sized, 'base', '1', 'small'), 2 * 1024 ** 3);
  const cap = Math.floor(totalmem() / 8 / 1048576);
  assert.equal(sharedBuffersFor(sized), Math.max(128, Math.min(512, cap)), '2 GB of data: 512 MB');
  writeFileSync(join(sized, 'big'), '');
  truncateSync(join(sized, 'big'), 8 * 1024 ** 3);
  assert.equal(sharedBuffersFor(sized), Math.max(128, Math.min(1024, cap)), '10 GB: at most 1 GB');

  for (const thread of threads) {
    const database = await openEmbeddedDatabase(join(dir, `buffers-${thread}`), thread, 48);
    try {
      assert.equal((await sql<{ shared_buffers: string }>`show shared_buffers`.execute(database.db)).rows[0].shared_buffers, '48MB', thread);
    } finally {
      await database.close();
    }
  }
  assert.equal(loadConfig({ PGLITE_SHARED_BUFFERS_MB: '256' }).pgliteSharedBuffersMb, 256);
  assert.equal(loadConfig({}).pgliteSharedBuffersMb, null, 'unset: sized to the data');
  for (const bad of ['8', '4096', '1GB', '-1']) assert.throws(() => loadConfig({ PGLITE_SHARED_BUFFERS_MB: bad }), ConfigError, bad);
});
