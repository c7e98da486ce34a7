// The embedded database's one connection is handed out requests first (src/adapters/db/mutex.ts): work marked as
// background (every job, platform/jobs.ts) waits while a request waits, up to a bound, so a page never queues behind
// a job's run of reads. Unit tests of the order, then the real embedded database with a real job.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pino from 'pino';
import { openEmbeddedDatabase } from '../src/adapters/db/embedded.ts';
import { Mutex } from '../src/adapters/db/mutex.ts';
import { asBackground } from '../src/platform/background.ts';
import { Jobs } from '../src/platform/jobs.ts';

/** Takes the lock as a request or as background work, records the order in which holders got it, and gives it back
 * at once (or holds it: the release is the answer). */
function taker(mutex: Mutex, order: string[]) {
  return (name: string, background = false, hold = false) =>
    (background ? asBackground(() => mutex.lock()) : mutex.lock()).then((release) => {
      order.push(name);
      if (!hold) release();
      return release;
    });
}

test('waiting requests are served before waiting background work, each in the order they came', async () => {
  const mutex = new Mutex();
  const order: string[] = [];
  const take = taker(mutex, order);
  const first = await take('holder', false, true);
  const waiting = [take('job1', true), take('req1'), take('job2', true), take('req2')];
  assert.deepEqual(mutex.waiting, { requests: 2, background: 2 });
  first();
  await Promise.all(waiting);
  assert.deepEqual(order, ['holder', 'req1', 'req2', 'job1', 'job2']);
  assert.deepEqual(mutex.waiting, { requests: 0, background: 0 });
});

test('background work that has waited past the bound gets one turn per bound, even with requests waiting', async () => {
  const mutex = new Mutex(30);
  const order: string[] = [];
  const take = taker(mutex, order);
  await sleep(40); // no background turn for longer than the bound
  const release = await take('holder', false, true);
  const jobs = [take('job1', true), take('job2', true)];
  await sleep(40);
  const reqs = [take('req1'), take('req2')];
  release();
  await Promise.all([...jobs, ...reqs]);
  // job1 is due; job2 has waited as long, but a background turn was just given: requests first.
  assert.deepEqual(order, ['holder', 'job1', 'req1', 'req2', 'job2']);
});

test('a free lock is taken at once by either, and a release twice frees it once', async () => {
  const mutex = new Mutex();
  const release = await asBackground(() => mutex.lock());
  const next = mutex.lock();
  release();
  release();
  const r2 = await next;
  let third = false;
  const p = mutex.lock().then((r) => ((third = true), r));
  await sleep(5);
  assert.equal(third, false, 'the second release did not hand the lock on');
  r2();
  (await p)();
  assert.equal(third, true);
});

test('embedded database: a request waits for the statement running, not for the reads a job has queued', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hawker-mutex-'));
  const database = await openEmbeddedDatabase(dir);
  const jobs = new Jobs(pino({ level: 'silent' }));
  try {
    const { db } = database;
    const finished: string[] = [];
    // A job that queues many reads at once (as a catch-up read that fans out would).
    jobs.every('reads', 60_000, async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => sql`select count(*) + ${i}::int as n from generate_series(1, 300000)`.execute(db).then(() => finished.push(`job${i}`))));
    });
    const job = jobs.runNow('reads');
    await sleep(5); // the job's first read is running (it takes the event loop: ≥ 5 ms), the other 19 wait
    const started = performance.now();
    await sql`select 1`.execute(db).then(() => finished.push('request'));
    const waited = performance.now() - started;
    await job;
    const jobTook = performance.now() - started;
    const at = finished.indexOf('request');
    assert.ok(at >= 1 && at <= 2, `the request finished after at most the job's reads already running (${finished.join(' ')})`);
    assert.ok(waited < jobTook / 4, `the request waited ${waited.toFixed(0)} ms, not the job's queued reads (${jobTook.toFixed(0)} ms in all)`);
    assert.equal(finished.length, 21);
  } finally {
    await jobs.stop();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
