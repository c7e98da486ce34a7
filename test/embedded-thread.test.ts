// The embedded storage adapter on both of its threads: PGlite on a worker thread of its own (the default)
// and on the caller's event loop (PGLITE_THREAD=main). Both must answer the same rows, with the same types,
// fail with the same database error fields (the services read `code` to tell a unique violation), roll back
// what a failed transaction or script wrote, and keep what they committed across a reopen of the data dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { openEmbeddedDatabase, type PGliteThread } from '../src/adapters/db/embedded.ts';
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
