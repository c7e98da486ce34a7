// The per-node memo (src/platform/expiring-memo.ts): answers reused for their ttl, one load for concurrent asks, and
// with a stale window an old answer given at once while a fresh one is read as background work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBackground } from '../src/platform/background.ts';
import { ExpiringMemo } from '../src/platform/expiring-memo.ts';

/** A load that answers `${key}${n}` for its n-th call, after `ms`, noting whether it ran as background work. */
function counter(ms = 5) {
  const calls: { key: string; background: boolean }[] = [];
  const load = async (key: string) => {
    calls.push({ key, background: isBackground() });
    const n = calls.length;
    await sleep(ms);
    return `${key}${n}`;
  };
  return { calls, load };
}

test('an answer is reused for its ttl, concurrent asks share one load, and past the ttl the ask waits for a fresh one', async () => {
  const { calls, load } = counter();
  const memo = new ExpiringMemo(30, load);
  assert.deepEqual(await Promise.all([memo.get('a'), memo.get('a')]), ['a1', 'a1']);
  assert.equal(await memo.get('a'), 'a1');
  assert.equal(calls.length, 1);
  await sleep(40);
  assert.equal(await memo.get('a'), 'a2', 'no stale window: the fresh answer');
  assert.deepEqual(calls.map((c) => c.background), [false, false]);
});

test('with a stale window, an old answer is given at once and a fresh one read in the background; past the window the ask waits', async () => {
  const { calls, load } = counter(20);
  const memo = new ExpiringMemo(30, load, 100, 100);
  assert.equal(await memo.get('a'), 'a1');
  await sleep(40); // past the ttl, inside the stale window
  const started = performance.now();
  assert.equal(await memo.get('a'), 'a1', 'the answer held, at once');
  assert.ok(performance.now() - started < 15, 'not waiting for the 20 ms load');
  assert.equal(await memo.get('a'), 'a1', 'one background load at a time');
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.background, true, 'the refresh runs as background work');
  await sleep(30);
  assert.equal(await memo.get('a'), 'a2', 'the refreshed answer');
  await sleep(150); // past ttl + stale
  assert.equal(await memo.get('a'), 'a3', 'too old to give: waited for');
  assert.equal(calls[2]!.background, false);
});
