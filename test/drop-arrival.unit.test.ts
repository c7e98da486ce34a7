import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ArrivalOrder } from '../src/modules/drops/arrival.ts';

test('an attempt whose token is looked up still takes units before one that arrived after it', async () => {
  const line = new ArrivalOrder();
  const taken: string[] = [];
  const early = line.join('drop_1');
  const late = line.join('drop_1');
  // The late attempt is ready at once (its token was cached); the early one waits for a lookup.
  const lateDone = (async () => {
    await late.turn();
    taken.push('late');
    late.leave();
  })();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(taken.length, 0, 'the late attempt waits for the early one');
  assert.equal(early.turn(), undefined, 'the head of the line needs not wait');
  taken.push('early');
  early.leave();
  await lateDone;
  assert.deepEqual(taken, ['early', 'late']);
});

test('an attempt refused before its turn leaves the line without holding up the others', async () => {
  const line = new ArrivalOrder();
  const a = line.join('d');
  const b = line.join('d');
  const c = line.join('d');
  b.leave(); // e.g. a bad token: refused, never reserves
  b.leave(); // leaving twice changes nothing
  const cTurn = c.turn();
  assert.ok(cTurn instanceof Promise);
  a.leave();
  await cTurn;
  c.leave();
  // An empty line starts afresh.
  assert.equal(line.join('d').turn(), undefined);
});

test('lines of different drops do not wait for each other', () => {
  const line = new ArrivalOrder();
  line.join('d1');
  assert.equal(line.join('d2').turn(), undefined);
});

test('whatever order attempts become ready and leave in, turns are taken in the order of arrival', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 30 }), async (delays, refused) => {
      const line = new ArrivalOrder();
      const taken: number[] = [];
      await Promise.all(
        delays.map(async (delay, i) => {
          const place = line.join('drop');
          await new Promise((r) => setTimeout(r, delay));
          if (refused[i]) return place.leave();
          await place.turn();
          taken.push(i);
          place.leave();
        }),
      );
      const expected = delays.map((_, i) => i).filter((i) => !refused[i]);
      assert.deepEqual(taken, expected);
    }),
    { numRuns: 50, seed: 14 },
  );
});
