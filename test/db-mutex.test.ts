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

test('a background turn counts from when it ends: a job holding longer than the bound does not hand straight on to the next job', async () => {
  const mutex = new Mutex(30);
  const order: string[] = [];
  const take = taker(mutex, order);
  const release = await take('job1', true, true);
  const queued = [take('job2', true), take('req1')];
  await sleep(45); // job1 held past the bound; job2 has waited past it
  release();
  await Promise.all(queued);
  assert.deepEqual(order, ['job1', 'req1', 'job2']);
});

test('background work takes even a free lock only after an event-loop turn, so a request arriving meanwhile is not held behind its run of statements', async () => {
  const mutex = new Mutex();
  const order: string[] = [];
  // A job's statements one after another; the lock is free between them. PGlite on the caller's thread would answer
  // each within the same turn, so without the turn the whole run finished before the request below was even seen.
  const job = asBackground(async () => {
    for (let i = 0; i < 3; i++) {
      const release = await mutex.lock();
      order.push(`job${i}`);
      release();
    }
  });
  const request = new Promise<void>((done) =>
    setImmediate(() =>
      mutex.lock().then((release) => {
        order.push('req');
        release();
        done();
      }),
    ),
  );
  await Promise.all([job, request]);
  assert.deepEqual(order, ['job0', 'req', 'job1', 'job2']);
});

test('a fan-out of background statements takes one per event-loop turn: timers and I/O run between them', async () => {
  const mutex = new Mutex();
  const order: string[] = [];
  const hold = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until); // a statement answered on the caller's thread holds the loop
  };
  const timer = new Promise<void>((done) => setTimeout(() => (order.push('timer'), done()), 1));
  await asBackground(() =>
    Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        mutex.lock().then((release) => {
          hold(10);
          order.push(`job${i}`);
          release();
        }),
      ),
    ),
  );
  await timer;
  assert.ok(order.indexOf('timer') <= 1, `the timer ran after at most one statement (${order.join(' ')})`);
});

test('a free lock is taken by a request at once and by background work after a turn, and a release twice frees it once', async () => {
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
    let firstDone!: () => void;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    // A job that queues many reads at once (as a catch-up read that fans out would).
    jobs.every('reads', 60_000, async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          sql`select count(*) + ${i}::int as n from generate_series(1, 300000)`.execute(db).then(() => {
            finished.push(`job${i}`);
            firstDone();
          }),
        ),
      );
    });
    const job = jobs.runNow('reads');
    // The job's first read has finished: the connection is being handed to its next one, 18 more wait. (A wait by
    // the clock here is not enough on a loaded machine: the request could come before the job's first read.)
    await first;
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
