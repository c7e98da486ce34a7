// The feed's learning code with no I/O: ItemKNN and EASE similarity from co-engagement, the dense SPD inverse EASE
// rests on, and the logistic ranker's training and AUC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auc, predict, trainLogistic } from '../src/modules/feed/engine/learn.ts';
import { ease, fitEase, interactionMatrix, invertSpd, itemKnn, knnNeighbours, TopK } from '../src/modules/feed/engine/similarity.ts';
import { seededRandom } from '../src/platform/random.ts';

function randomMatrix(nUsers: number, nItems: number, density: number, seed: number) {
  const rand = seededRandom(seed);
  const u: number[] = [];
  const i: number[] = [];
  const w: number[] = [];
  for (let a = 0; a < nUsers; a++)
    for (let b = 0; b < nItems; b++)
      if (rand() < density) {
        u.push(a);
        i.push(b);
        w.push(1);
      }
  return interactionMatrix(nUsers, nItems, u, i, w);
}

describe('the interaction matrix', () => {
  it('adds up a pair given twice, drops zero weights, and keeps rows and columns sorted', () => {
    const m = interactionMatrix(2, 3, [1, 0, 1, 0, 1], [2, 1, 0, 1, 1], [1, 2, 3, 0.5, 0]);
    assert.deepEqual([...m.rowPtr], [0, 1, 3]);
    assert.deepEqual([...m.rowItems], [1, 0, 2]);
    assert.deepEqual([...m.rowValues], [2.5, 3, 1]);
    assert.deepEqual([...m.colPtr], [0, 1, 2, 3]);
    assert.deepEqual([...m.colUsers], [1, 0, 1]);
  });

  it('refuses an index out of range', () => {
    assert.throws(() => interactionMatrix(1, 1, [0], [1], [1]), RangeError);
  });
});

describe('ItemKNN', () => {
  it('scores a pair by cosine with shrinkage and keeps the k best, best first', () => {
    // Items a, b, c: a and b are taken together by three users, a and c by one.
    const x = [
      ['u1', 'a'],
      ['u1', 'b'],
      ['u2', 'a'],
      ['u2', 'b'],
      ['u3', 'a'],
      ['u3', 'b'],
      ['u4', 'a'],
      ['u4', 'c'],
    ].map(([user, item]) => ({ user, item, weight: 1 }));
    const nb = itemKnn(x, { k: 5, shrink: 1 });
    const a = nb.get('a')!;
    assert.deepEqual(
      a.map((n) => n.key),
      ['b', 'c'],
    );
    assert.ok(Math.abs(a[0].score - 3 / (Math.sqrt(4) * Math.sqrt(3) + 1)) < 1e-6);
    assert.ok(Math.abs(a[1].score - 1 / (Math.sqrt(4) * 1 + 1)) < 1e-6);
    assert.deepEqual(nb.get('c')!.map((n) => n.key), ['a']);
    assert.equal(itemKnn(x, { k: 1, shrink: 1 }).get('a')!.length, 1);
  });

  it('matches a brute-force cosine on a random matrix, for every item', () => {
    const m = randomMatrix(60, 40, 0.15, 7);
    const lists = knnNeighbours(m, { k: 5, shrink: 2 });
    const col = (i: number) => {
      const v = new Float64Array(m.nUsers);
      for (let c = m.colPtr[i]; c < m.colPtr[i + 1]; c++) v[m.colUsers[c]] = m.colValues[c];
      return v;
    };
    for (let i = 0; i < m.nItems; i++) {
      const ci = col(i);
      const sims: { j: number; s: number }[] = [];
      for (let j = 0; j < m.nItems; j++) {
        if (j === i) continue;
        const cj = col(j);
        let dot = 0;
        let ni = 0;
        let nj = 0;
        for (let u = 0; u < m.nUsers; u++) {
          dot += ci[u] * cj[u];
          ni += ci[u] ** 2;
          nj += cj[u] ** 2;
        }
        const s = dot / (Math.sqrt(ni) * Math.sqrt(nj) + 2);
        if (s > 0) sims.push({ j, s });
      }
      sims.sort((p, q) => q.s - p.s || p.j - q.j);
      const got = [...lists.idx.subarray(lists.ptr[i], lists.ptr[i + 1])];
      assert.deepEqual(
        got,
        sims.slice(0, 5).map((e) => e.j),
        `item ${i}`,
      );
    }
  });

  it('with maxPerUser counts only the most recent interactions of a heavy user', () => {
    const x = [
      { user: 'u', item: 'old', weight: 1, at: 1 },
      { user: 'u', item: 'a', weight: 1, at: 2 },
      { user: 'u', item: 'b', weight: 1, at: 3 },
    ];
    const nb = itemKnn(x, { maxPerUser: 2, shrink: 0 });
    assert.equal(nb.has('old'), false);
    assert.deepEqual(nb.get('a')!.map((n) => n.key), ['b']);
  });
});

describe('TopK', () => {
  it('keeps the k largest, ties to the smaller index, whatever the order they come in', () => {
    const rand = seededRandom(3);
    const vals = Array.from({ length: 200 }, () => Math.floor(rand() * 20));
    const expected = vals
      .map((v, i) => ({ v, i }))
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .slice(0, 7);
    for (const order of [vals.map((_, i) => i), vals.map((_, i) => 199 - i)]) {
      const top = new TopK(7);
      for (const i of order) top.offer(i, vals[i]);
      const idx = new Int32Array(7);
      const score = new Float64Array(7);
      assert.equal(top.drainInto(idx, score, 0), 7);
      assert.deepEqual([...idx], expected.map((e) => e.i));
    }
  });
});

describe('EASE', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const n = 30;
    const rand = seededRandom(11);
    const r = Array.from({ length: n * n }, () => rand() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += r[i * n + k] * r[j * n + k];
    for (let i = 0; i < n; i++) a[i * n + i] += 0.1;
    const inv = a.slice();
    invertSpd(inv, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-8, `(${i},${j}) = ${s}`);
      }
    assert.throws(() => invertSpd(new Float64Array([0, 1, 1, 0]), 2), RangeError);
  });

  it('scores the same in the primal form (items × items inverse) and the dual form (users × users, Woodbury)', () => {
    const m = randomMatrix(25, 40, 0.2, 5);
    const primal = fitEase(m, { lambda: 3, form: 'primal', maxItems: 40 });
    const dual = fitEase(m, { lambda: 3, form: 'dual' });
    assert.equal(primal.covered.length, 40);
    const a = new Float64Array(40);
    const b = new Float64Array(40);
    for (const history of [[0], [3, 7, 19], [1, 2, 3, 4, 5, 6, 30]]) {
      const weights = history.map((_, h) => 1 + h / 10);
      primal.scoreInto(history, weights, a);
      dual.scoreInto(history, weights, b);
      for (let i = 0; i < 40; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `item ${i}: ${a[i]} vs ${b[i]}`);
      // B's diagonal is zero: an item alone in the history does not score itself.
      if (history.length === 1) assert.ok(Math.abs(a[history[0]]) < 1e-9);
    }
  });

  it('covers only the maxItems most interacted-with items in the primal form, NaN elsewhere', () => {
    const m = interactionMatrix(4, 3, [0, 1, 2, 3, 0, 1, 2], [0, 0, 0, 0, 1, 1, 2], [1, 1, 1, 1, 1, 1, 1]);
    const model = fitEase(m, { lambda: 1, form: 'primal', maxItems: 2 });
    assert.deepEqual([...model.covered], [0, 1]);
    const out = new Float64Array(3);
    model.scoreInto([0], [1], out);
    assert.ok(out[1] > 0);
    assert.ok(Number.isNaN(out[2]));
  });

  it('gives co-taken items as neighbours, the strongest first', () => {
    const x: { user: string; item: string; weight: number }[] = [];
    for (let u = 0; u < 30; u++) {
      x.push({ user: `u${u}`, item: 'a', weight: 1 });
      if (u < 20) x.push({ user: `u${u}`, item: 'b', weight: 1 });
      if (u >= 25) x.push({ user: `u${u}`, item: 'c', weight: 1 });
      if (u % 2 === 0) x.push({ user: `u${u}`, item: `solo${u}`, weight: 1 });
    }
    const nb = ease(x, { lambda: 1, k: 3 });
    assert.equal(nb.get('a')![0].key, 'b');
    assert.equal(nb.get('b')![0].key, 'a');
  });
});

describe('trainLogistic', () => {
  function separable(n: number, seed: number) {
    const rand = seededRandom(seed);
    const X: number[][] = [];
    const y: number[] = [];
    for (let s = 0; s < n; s++) {
      const label = rand() < 0.3 ? 1 : 0;
      // Feature 0 says yes, feature 1 says no, feature 2 is noise, feature 3 is constant; scales differ on purpose.
      X.push([(label ? 2 : -2) + rand() * 1.5, 1000 * ((label ? -1 : 1) + rand()), rand(), 7]);
      y.push(label);
    }
    return { X, y };
  }

  it('separates separable data with the right signs and a high AUC', () => {
    const { X, y } = separable(2000, 1);
    const m = trainLogistic(X, y, { l2: 1e-3 });
    assert.ok(m.auc > 0.99, `auc ${m.auc}`);
    assert.ok(m.weights[0] > 0);
    assert.ok(m.weights[1] < 0);
    assert.equal(m.weights[3], 0);
    assert.equal(m.samples, 2000);
    const held = separable(500, 2);
    assert.ok(auc(held.X.map((x) => predict(m, x)), held.y) > 0.99);
  });

  it('is deterministic: the same data and seed give the same weights', () => {
    const { X, y } = separable(3000, 4);
    const a = trainLogistic(X, y, { seed: 9, maxSamples: 1500 });
    const b = trainLogistic(X, y, { seed: 9, maxSamples: 1500 });
    assert.deepEqual(a, b);
    assert.ok(a.samples < 3000 && a.samples > 1000);
  });

  it('stays calibrated: predicted probabilities average to the positive rate, also with negatives subsampled', () => {
    const rand = seededRandom(8);
    const X: number[][] = [];
    const y: number[] = [];
    for (let s = 0; s < 20_000; s++) {
      const x = rand() * 2 - 1;
      X.push([x]);
      y.push(rand() < 1 / (1 + Math.exp(-(-3 + 1.5 * x))) ? 1 : 0);
    }
    const rate = y.reduce((a, b) => a + b, 0) / y.length;
    for (const opts of [{}, { maxSamples: 5000, seed: 2 }]) {
      const m = trainLogistic(X, y, opts);
      const mean = X.reduce((s, x) => s + predict(m, x), 0) / X.length;
      assert.ok(Math.abs(mean - rate) < 0.1 * rate, `${JSON.stringify(opts)}: mean ${mean} vs rate ${rate}`);
      assert.ok(Math.abs(m.weights[0] - 1.5) < 0.4, `slope ${m.weights[0]}`);
    }
  });

  it("with classWeight 'balanced' raises the rare class's probabilities", () => {
    const { X, y } = separable(2000, 6);
    const noisy = X.map((x) => [x[2]]);
    const plain = trainLogistic(noisy, y);
    const balanced = trainLogistic(noisy, y, { classWeight: 'balanced' });
    assert.ok(predict(balanced, [0.5]) > predict(plain, [0.5]) + 0.1);
  });

  it('handles no rows and a single class', () => {
    assert.equal(trainLogistic([], []).samples, 0);
    const one = trainLogistic([[1], [2]], [0, 0]);
    assert.ok(predict(one, [1]) < 0.3);
    assert.ok(Number.isNaN(one.auc));
  });
});

describe('auc', () => {
  it('is the share of positive–negative pairs ordered right, ties counting half', () => {
    assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.equal(auc([1, 1, 1], [0, 1, 0]), 0.5);
    assert.equal(auc([3, 2, 1], [1, 0, 0]), 1);
    assert.ok(Number.isNaN(auc([1, 2], [1, 1])));
  });
});
